"""The web tests are a package so that tests/web/conftest.py loads as `web.conftest`: a second
module named plain `conftest` would take that name from tests/conftest.py, whose helpers every
test imports."""

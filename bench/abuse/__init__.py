"""The attacks of issue #23, one module each, and what they share (`probing`); run by
bench/bench_abuse.py."""

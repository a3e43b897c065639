// The access token, on servers started with DIGITREC_API_TOKEN: asked for when the server first
// answers 401, then kept in sessionStorage (this tab only) and sent as a Bearer header.

const STORAGE_KEY = "digitrec-token";

function load() {
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? "";
  } catch {
    return ""; // storage switched off: the token lives as long as the page
  }
}

function store(value) {
  try {
    if (value) sessionStorage.setItem(STORAGE_KEY, value);
    else sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // as above
  }
}

let token = load();

/** Headers that carry the token, if one was given. */
export function tokenHeaders() {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** The page's token field (absent when the server needs none), shown only when asked for. */
export class TokenPrompt {
  /** onToken() runs after the user enters a token, to retry what was refused. */
  constructor(row, onToken) {
    this.row = row;
    if (!row) return;
    this.input = row.querySelector("input");
    const accept = () => {
      const value = this.input.value.trim();
      if (!value) return;
      token = value;
      store(value);
      this.input.value = "";
      row.classList.remove("is-asking");
      onToken();
    };
    this.input.addEventListener("change", accept);
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        accept();
      }
    });
  }

  /** After a 401: forget the refused token and ask for one. Returns the problem to show. */
  ask() {
    const refused = Boolean(token);
    token = "";
    store("");
    if (this.row) {
      this.row.classList.add("is-asking");
      this.input.focus();
    }
    return refused
      ? { title: "Token not accepted", detail: "Enter this server's access token again." }
      : { title: "Access token needed", detail: "Enter this server's access token to read images; it is kept for this tab only." };
  }
}

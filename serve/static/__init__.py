"""Dashboard files (HTML, CSS, JavaScript, icons) shipped as package data; no Python here."""

// Keep punctuation on the line of the inline formula it follows: without this, a line can break
// between "$x$" and its comma, and the next line starts with ", which …". The punctuation is moved
// into the formula's span (outside its \( \) delimiters), which book.css keeps on one line.
document.addEventListener("DOMContentLoaded", () => {
  const punctuation = /^[,.;:!?)\]，。；：！？、）]+/;
  for (const math of document.querySelectorAll("span.math")) {
    const next = math.nextSibling;
    if (!next || next.nodeType !== Node.TEXT_NODE) continue;
    const match = next.textContent.match(punctuation);
    if (!match) continue;
    next.textContent = next.textContent.slice(match[0].length);
    math.append(document.createTextNode(match[0]));
  }
});

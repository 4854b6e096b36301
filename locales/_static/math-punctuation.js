// No line may start with punctuation, nor end with an opening bracket. The browser may break a line
// between an inline formula (or a glued number) and the comma after it, between "(" and a formula,
// and at the space in "50 %". So the punctuation after a formula or glued number, and a bracket
// before a formula, move into its span (outside the \( \) delimiters), which book.css keeps on one
// line; a space before "%", ":", ";", "!", "?" or ")", and a space that groups digits ("20 000"),
// becomes a no-break space.
document.addEventListener("DOMContentLoaded", () => {
  const punctuation = /^[,.;:!?%)\]，。；：！？、）]+/;
  for (const span of document.querySelectorAll("span.math, span.pasted-text")) {
    const next = span.nextSibling;
    if (!next || next.nodeType !== Node.TEXT_NODE) continue;
    const match = next.textContent.match(punctuation);
    if (!match) continue;
    next.textContent = next.textContent.slice(match[0].length);
    span.append(document.createTextNode(match[0]));
  }
  for (const span of document.querySelectorAll("span.math")) {
    const before = span.previousSibling;
    if (!before || before.nodeType !== Node.TEXT_NODE || !/[(（]$/.test(before.textContent)) continue;
    const bracket = before.textContent.slice(-1);
    before.textContent = before.textContent.slice(0, -1);
    span.prepend(document.createTextNode(bracket));
  }
  const article = document.querySelector("article") || document.body;
  const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
  const verbatim = "pre, code, script, style, span.math, mjx-container";
  const breakable = / (?=[%:;!?)])|(?<=\d) (?=\d{3}(?!\d))/g;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.replace(breakable, "\u00a0");
    if (text !== node.textContent && !node.parentElement.closest(verbatim)) node.textContent = text;
  }
});

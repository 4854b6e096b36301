// The book is built twice from the same notebooks: English at the root of the HTML, Chinese
// under zh/ (`make book`). Every page gets a link to the same page in the other edition.
document.addEventListener("DOMContentLoaded", () => {
  const html = document.documentElement;
  const root = new URL(html.dataset.content_root || "./", window.location.href);
  const page = window.location.href.slice(root.href.length);  // e.g. chapters/backprop.html#...
  const chinese = (html.lang || "").toLowerCase().startsWith("zh");
  const link = document.createElement("a");
  link.className = "btn btn-sm language-switch";
  link.href = new URL((chinese ? "../" : "zh/") + page, root).href;
  link.textContent = chinese ? "English" : "中文";
  link.title = chinese ? "Read this page in English" : "阅读本页的中文版";
  link.lang = chinese ? "en" : "zh-CN";
  const buttons = document.querySelector(".article-header-buttons");
  if (buttons) buttons.prepend(link);
});

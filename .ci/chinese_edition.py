"""Sphinx extension for the Chinese edition: what Sphinx's gettext translation misses in a Jupyter Book.

1. Glued numbers inside translated paragraphs. Sphinx translates a paragraph by parsing its msgstr
   as a new, separate docutils document. myst-nb's glue roles ({glue:text}`key`, …) look their
   values up in the document they are parsed in, which for a translation is that new document,
   without the notebook's glue data. The notebook's renderer is remembered while its English text
   is parsed, and the glue roles of the translations fall back to it, so a translated paragraph
   shows the same computed numbers as the English one.
2. The part captions of the table of contents ("Foundations", …). sphinx-external-toc inserts the
   toctrees after Sphinx's translation transform has run, so their captions are translated here,
   from the root page's catalogue, where `make translations` extracts them.
3. Build time of the search index. Sphinx 7's Chinese splitter keeps every Latin word of the book in
   one list and looks each word up in it, which is quadratic: the index of this book, whose pages
   are full of code, took minutes per page. Sphinx 8.1 keeps a set instead (python/docsbuild-scripts
   issue 209: one translation of the Python docs went from 88 to 6 minutes); so does this copy.
4. Size of the stored doctrees. The nodes of a translated paragraph still point to the separate
   document their msgstr was parsed in, whose settings hold the whole build environment, so every
   page's pickled doctree carried a copy of it (9 MB instead of 0.4) and resolving the {numref}s,
   which loads the doctrees again, took minutes. They are pointed back to their page's document.
"""
from os import path

from myst_nb.ext.glue import directives, roles, utils
from sphinx import addnodes
from sphinx.locale import init as init_locale
from sphinx.search import zh
from sphinx.transforms import SphinxTransform
from sphinx.util.i18n import docname_to_domain

_RENDERERS = {}  # docname -> the myst-nb renderer holding that notebook's glue data


def retrieve_glue_data(document, key):
    # myst-nb removes the renderer from the document when the notebook is parsed, so it is
    # remembered here, while the English text's glue roles are resolved, for the translations
    env = getattr(document.settings, "env", None)
    if "nb_renderer" in document or env is None or env.docname not in _RENDERERS:
        if "nb_renderer" in document and env is not None:
            _RENDERERS[env.docname] = document["nb_renderer"]
        return utils.retrieve_glue_data(document, key)
    # myst-nb's own lookup, given the remembered renderer instead of the document's
    return utils.retrieve_glue_data({"nb_renderer": _RENDERERS[env.docname]}, key)


class TranslateTocCaptions(SphinxTransform):
    default_priority = 101  # after sphinx-external-toc's InsertToctrees (100), before the toc is collected

    def apply(self, **kwargs):
        toctrees = [node for node in self.document.findall(addnodes.toctree) if node.get("caption")]
        if not toctrees:
            return
        domain = docname_to_domain(self.env.docname, self.config.gettext_compact)
        dirs = [path.join(self.env.srcdir, d) for d in self.config.locale_dirs]
        catalog, found = init_locale(dirs, self.config.language, domain)
        if not found:
            return
        for node in toctrees:
            node["caption"] = node["rawcaption"] = catalog.gettext(node["caption"])


class _Words(set):
    extend = set.update  # what SearchChinese.split calls on its list


class SearchChinese(zh.SearchChinese):
    def init(self, options):
        super().init(options)
        self.latin_terms = _Words()


def own_document(app, doctree):
    for node in doctree.findall():
        if node.__dict__.get("_document") not in (None, doctree):
            node.document = doctree


def setup(app):
    roles.retrieve_glue_data = directives.retrieve_glue_data = retrieve_glue_data
    app.add_transform(TranslateTocCaptions)
    app.add_search_language(SearchChinese)
    app.connect("doctree-read", own_document)
    return {"parallel_read_safe": False, "parallel_write_safe": True}

"""Sphinx extension for the Chinese edition: glued numbers inside translated paragraphs.

Sphinx translates a paragraph by parsing its msgstr as a new, separate docutils document. myst-nb's
glue roles ({glue:text}`key`, …) look their values up in the document they are parsed in, which for
a translation is that new document, without the notebook's glue data. This extension remembers each
notebook's renderer while its English text is parsed and lets the glue roles of the translations
fall back to it, so a translated paragraph shows the same computed numbers as the English one.
"""
from myst_nb.ext.glue import directives, roles, utils

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


def setup(app):
    roles.retrieve_glue_data = directives.retrieve_glue_data = retrieve_glue_data
    return {"parallel_read_safe": False, "parallel_write_safe": True}

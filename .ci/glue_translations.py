"""Sphinx extension for the Chinese edition: glued numbers inside translated paragraphs.

Sphinx translates a paragraph by parsing its msgstr as a new, separate docutils document. myst-nb's
glue roles ({glue:text}`key`, …) look their values up in the document they are parsed in, which for
a translation is that new document, without the notebook's glue data. This extension remembers each
notebook's renderer before the translations are applied and lets the glue roles fall back to it, so
a translated paragraph shows the same computed numbers as the English one.
"""
from myst_nb.ext.glue import directives, roles, utils
from sphinx.transforms import SphinxTransform

_RENDERERS = {}  # docname -> the myst-nb renderer holding that notebook's glue data


class RememberGlueData(SphinxTransform):
    default_priority = 0  # before sphinx.transforms.i18n.Locale (20)

    def apply(self, **kwargs):
        if "nb_renderer" in self.document:
            _RENDERERS[self.env.docname] = self.document["nb_renderer"]


def retrieve_glue_data(document, key):
    if "nb_renderer" not in document:
        env = getattr(document.settings, "env", None)
        renderer = _RENDERERS.get(env.docname) if env is not None else None
        if renderer is not None:
            document["nb_renderer"] = renderer
    return utils.retrieve_glue_data(document, key)


def setup(app):
    app.add_transform(RememberGlueData)
    roles.retrieve_glue_data = directives.retrieve_glue_data = retrieve_glue_data
    return {"parallel_read_safe": False, "parallel_write_safe": True}

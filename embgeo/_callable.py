"""Packages that are also functions: ``embgeo.uniformity`` is the uniformity family
*and* the function ``uniformity(X)``.

Python binds a subpackage as an attribute of its parent when it is imported, so a
package and a function of the same name cannot both live at ``embgeo.NAME``. A
package made callable here delegates ``package(...)`` to its main function, so
``import embgeo as eg; eg.uniformity(X)`` and ``from embgeo.uniformity import gap``
both work, whatever was imported first.

The callable package also shows its function's face: ``inspect.signature(eg.uniformity)``
is the signature of :func:`embgeo.uniformity.core.uniformity` (``__signature__``), its
``__doc__`` starts with the function's docstring (the package's follows), and
``__wrapped__`` is the function. They are properties of the package's class, read on
first access from the package's attribute, so nothing is imported before it is asked
for (``import embgeo`` stays light).
"""
from __future__ import annotations

import sys
import types


def _joined_doc(function_doc: str | None, module_doc: str | None, module_name: str) -> str | None:
    """The function's docstring, then the package's (each dedented), so that ``help()`` and ``__doc__`` lead with the function."""
    import inspect

    parts = []
    if function_doc:
        parts.append(inspect.cleandoc(function_doc))
    if module_doc:
        text = inspect.cleandoc(module_doc)
        parts.append(f"The package ``{module_name}``:\n\n{text}" if parts else text)
    return "\n\n".join(parts) if parts else None


def make_callable(module_name: str, function_name: str) -> None:
    """Let ``sys.modules[module_name](...)`` call its attribute ``function_name``, and give the
    package that function's signature, docstring and ``__wrapped__`` (read lazily)."""
    module = sys.modules[module_name]

    def _function(self):
        return getattr(self, function_name)

    def _get_doc(self):
        own = self.__dict__.get("__doc__")
        try:
            function = _function(self)
        except AttributeError:  # the package is still being imported: its own docstring
            return own
        return _joined_doc(getattr(function, "__doc__", None), own, self.__name__)

    def _set_doc(self, value):
        self.__dict__["__doc__"] = value

    def _get_signature(self):
        import inspect

        return inspect.signature(_function(self))

    def _get_wrapped(self):
        return _function(self)

    class CallableModule(types.ModuleType):
        def __call__(self, *args, **kwargs):
            return getattr(self, function_name)(*args, **kwargs)

        __doc__ = property(_get_doc, _set_doc, doc="The function's docstring, then the package's.")
        __signature__ = property(_get_signature, doc="The signature of the function the package calls.")
        __wrapped__ = property(_get_wrapped, doc="The function the package calls.")

    CallableModule.__name__ = f"CallableModule[{module_name}]"
    CallableModule.__qualname__ = CallableModule.__name__
    module.__class__ = CallableModule

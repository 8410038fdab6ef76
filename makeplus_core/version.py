"""The core's version (``makeplus_core.__version__``), in a module of its own so that the
modules reporting it (health, capabilities, the OpenAPI document) need not import the
package's ``__init__`` (which imports them: an import cycle)."""
__version__ = "0.1.0"

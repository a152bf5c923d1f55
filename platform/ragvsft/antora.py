"""Antora sites: the attributes a component descriptor (``antora.yml``) sets for every page of its component.

A docs site built with Antora (Spring Boot's, Couchbase's, Neo4j's) names its product, versions and links once, in
``antora.yml`` under ``asciidoc.attributes``, and its pages cite them (``{product-name}``); read without them, a page
says "{product-name}" where the site shows the name. The descriptor nearest above a page (within docs/) applies, as
Antora applies its component's; its ``name``, ``title`` and ``version`` are the pages' ``{page-component-name}``,
``{page-component-title}`` and ``{page-component-version}``. A page's own ``:name: value`` lines still win.
"""

from __future__ import annotations

import logging
from pathlib import Path

import yaml

log = logging.getLogger(__name__)

DESCRIPTOR = "antora.yml"
MAX_BYTES = 1 << 20  # a component descriptor is a few lines; a huge one is not read


class ComponentAttributes:
    """The attributes each folder's pages get from the nearest ``antora.yml`` at or above it, within ``root``;
    each descriptor read once.

    Example:
        >>> ComponentAttributes(Path("docs")).attributes(Path("docs/modules/ROOT/pages/install.adoc"))  # doctest: +SKIP
        {'page-component-name': 'pump', 'product': 'Pump X-200'}
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._folders: dict[Path, dict[str, str]] = {}

    def attributes(self, page: Path) -> dict[str, str]:
        return self._of(page.parent)

    def _of(self, folder: Path) -> dict[str, str]:
        if folder not in self._folders:
            descriptor = folder / DESCRIPTOR
            if descriptor.is_file() and not descriptor.is_symlink():  # a link could lead anywhere; not followed
                self._folders[folder] = descriptor_attributes(descriptor)
            elif folder == self.root or self.root not in folder.parents:
                self._folders[folder] = {}
            else:
                self._folders[folder] = self._of(folder.parent)
        return self._folders[folder]


def descriptor_attributes(path: Path) -> dict[str, str]:
    r"""The attributes an ``antora.yml`` gives its pages (names lower-cased, as AsciiDoc's are); none, with a
    warning, where it cannot be read. ``false`` or ``~`` leaves an attribute unset, ``true`` sets it empty, and a
    trailing ``@`` (soft set: a page may override it, as pages here always may) is dropped.

    Example:
        >>> import tempfile
        >>> descriptor = Path(tempfile.mkdtemp()) / "antora.yml"
        >>> _ = descriptor.write_text("name: pump\nversion: '2.1'\nasciidoc:\n  attributes:\n    Product: Pump X-200@\n"
        ...                           "    draft: false\n    experimental: true\n")
        >>> for name, value in descriptor_attributes(descriptor).items():
        ...     print(f"{name}={value}")
        page-component-name=pump
        page-component-version=2.1
        page-component-title=pump
        product=Pump X-200
        experimental=
    """
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ValueError(f"over {MAX_BYTES >> 20} MiB")
        data = yaml.safe_load(path.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError, RecursionError) as exc:
        log.warning("not reading the attributes of %s: %s", path, " ".join(str(exc).split())[:200])
        return {}
    if not isinstance(data, dict):
        return {}
    values = {f"page-component-{key}": str(data[key]) for key in ("name", "version", "title")
              if isinstance(data.get(key), str | int | float) and not isinstance(data[key], bool)}
    if "page-component-name" in values:
        values.setdefault("page-component-title", values["page-component-name"])  # Antora's default title
    asciidoc = data.get("asciidoc")
    attributes = asciidoc.get("attributes") if isinstance(asciidoc, dict) else None
    for name, value in (attributes.items() if isinstance(attributes, dict) else ()):
        if not isinstance(name, str) or value is False or value is None:
            continue
        if value is True:
            values[name.lower()] = ""
        elif isinstance(value, str | int | float):
            values[name.lower()] = str(value).removesuffix("@")
    return values

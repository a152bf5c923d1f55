"""Which registered versions the server answers with, and moving ``champion`` by hand.

``ragvsft run`` registers the index and adapter it evaluated as ``challenger``
versions of ``ragvsft-<corpus>-index`` / ``-adapter`` (the adapter version
tagged with the index version it was evaluated with). Promotion points
``champion`` at such a pair; the server serves ``champion``, or, before any
promotion, the ``challenger`` — and says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from ragvsft import tracking
from ragvsft.errors import RagvsftError

SERVED_ALIAS, FALLBACK_ALIAS = "champion", "challenger"


@dataclass(frozen=True)
class Pick:
    """The versions to serve and the aliases they were found under.

    Example:
        >>> Pick("3", "champion", "2", "champion").note
        ''
        >>> Pick("3", "challenger", None, None).note
        'no champion yet: serving the challenger (index v3)'
    """

    index_version: str
    index_alias: str
    adapter_version: str | None
    adapter_alias: str | None

    @property
    def key(self) -> tuple[str, str | None]:
        return self.index_version, self.adapter_version

    @property
    def note(self) -> str:
        """Empty when everything served is the champion; else what is served instead."""
        fallback = [f"{kind} v{version}" for kind, version, alias in
                    (("index", self.index_version, self.index_alias), ("adapter", self.adapter_version, self.adapter_alias))
                    if version is not None and alias != SERVED_ALIAS]
        return f"no champion yet: serving the challenger ({', '.join(fallback)})" if fallback else ""


def pick_versions(uri: str, corpus: str) -> Pick:
    """``champion`` of the corpus' index and adapter, each falling back to ``challenger``; no adapter is fine
    (base and rag are served), no index is an error saying how to make one."""
    found: dict[str, tuple[str | None, str | None]] = {}
    for kind in ("index", "adapter"):
        name = tracking.registered_name(corpus, kind)  # type: ignore[arg-type]
        for alias in (SERVED_ALIAS, FALLBACK_ALIAS):
            if (version := tracking.alias_version(uri, name, alias)) is not None:
                found[kind] = (version, alias)
                break
        else:
            found[kind] = (None, None)
    index_version, index_alias = found["index"]
    if index_version is None or index_alias is None:
        raise RagvsftError(f"nothing to serve: {tracking.registered_name(corpus, 'index')} has no champion or "
                           f"challenger version in {uri}; a complete `ragvsft run` registers one")
    return Pick(index_version, index_alias, *found["adapter"])


def promote(uri: str, corpus: str, *, version: str | None = None, index_version: str | None = None) -> Pick:
    """Point ``champion`` at a pair: adapter ``version`` (default: the challenger) with the index it was evaluated
    with (its ``index_version`` tag; ``index_version`` overrides). A corpus without adapters promotes index
    ``version``. Returns what ``champion`` now names."""
    index_name, adapter_name = tracking.registered_name(corpus, "index"), tracking.registered_name(corpus, "adapter")
    has_adapters = any(tracking.alias_version(uri, adapter_name, a) for a in (SERVED_ALIAS, FALLBACK_ALIAS))
    adapter = None
    if has_adapters:
        adapter = version or tracking.alias_version(uri, adapter_name, FALLBACK_ALIAS)
        if adapter is None:
            raise RagvsftError(f"{adapter_name} has no challenger to promote; name one with --version N")
        paired = tracking.version_tags(uri, adapter_name, adapter).get(tracking.INDEX_VERSION_TAG)
        index_version = index_version or paired
        if index_version is None:
            raise RagvsftError(f"version {adapter} of {adapter_name} does not record the index it was evaluated with "
                               "(registered before promotion existed); name it with --index-version N")
    else:
        index_version = index_version or version or tracking.alias_version(uri, index_name, FALLBACK_ALIAS)
        if index_version is None:
            raise RagvsftError(f"{index_name} has no challenger to promote; a complete `ragvsft run` registers one")
    tracking.set_alias(uri, index_name, SERVED_ALIAS, index_version)
    if adapter is not None:
        tracking.set_alias(uri, adapter_name, SERVED_ALIAS, adapter)
    return Pick(index_version, SERVED_ALIAS, adapter, SERVED_ALIAS if adapter else None)


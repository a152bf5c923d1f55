"""Recipes: short, linear scripts that read an experiment config, build the parts, run them and log results.

Installed as ``ragvsft.pipelines``; each module has a ``main(config, console)``
that the ``ragvsft`` command calls.
"""

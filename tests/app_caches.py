"""Caches that make `create_app` cheap in the tests, which build a new app for nearly every test.

Production builds one app per process and is not touched. Without these, each new app spends
~0.1 s generating and compiling the URL builder functions of its ~70 routes and then recompiles
every template it renders; with them, apps after the first reuse both. Nothing the app does changes:
the builders are the same functions (bound to each new rule), and templates are loaded from
Jinja's bytecode cache, which checks each template's source before using its entry.
"""
import functools

from flask import Flask
from jinja2 import BytecodeCache
from werkzeug.routing.rules import Rule


def _builder_key(rule: Rule, append_unknown: bool):
    """What `Rule._compile_builder` depends on: the rule's text, host or subdomain, its defaults
    and the converters of its arguments (a default's value is turned into text by its converter)."""
    converters = tuple(sorted((name, type(converter)) for name, converter in rule._converters.items()))
    defaults = repr(sorted((rule.defaults or {}).items()))
    return (rule.rule, rule.host, rule.subdomain, rule.merge_slashes, rule.map.host_matching, defaults,
            converters, append_unknown)


def _cache_url_builders() -> None:
    compile_builder = Rule._compile_builder
    builders = {}

    @functools.wraps(compile_builder)
    def cached(self, append_unknown=True):
        key = _builder_key(self, append_unknown)
        if key not in builders:
            builders[key] = compile_builder(self, append_unknown)
        return builders[key]  # an unbound function: Rule.compile binds it to this rule

    Rule._compile_builder = cached


class _MemoryBytecodeCache(BytecodeCache):
    """Jinja's compiled templates kept in memory for every app of the test process."""

    def __init__(self):
        self.entries: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.entries:
            bucket.bytecode_from_string(self.entries[bucket.key])

    def dump_bytecode(self, bucket):
        self.entries[bucket.key] = bucket.bytecode_to_string()


def install() -> None:
    _cache_url_builders()
    Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": _MemoryBytecodeCache()}

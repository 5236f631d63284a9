"""Caches that make `create_app` cheap in the tests, which build a new app for nearly every test.

Production builds one app per process and is not touched. Without these, each new app spends
~0.1 s generating and compiling the URL builder functions of its ~100 routes, ~30 ms parsing the
same routes again, recompiles every template it renders, and its new database engine compiles every
SQL statement again (~40 ms a test); with them, apps after the first reuse all of it. Nothing the app
does changes: the builders are the same functions (bound to each new rule), a route's parsed parts
are what parsing its text gives, templates are loaded from Jinja's bytecode cache, which checks each
template's source before using its entry, and engines of the same dialect and options share one
dialect object, and so SQLAlchemy's cache of compiled statements (keyed by the dialect object).
"""
import functools

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
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


def _cache_parsed_rules() -> None:
    """Rule.compile parses the rule's text into parts and converters: the same for the same text
    and the same converter classes, so apps after the first copy the first parse."""
    compile_rule = Rule.compile
    parsed = {}

    @functools.wraps(compile_rule)
    def cached(self):
        key = (self.rule, self.host, self.subdomain, self.merge_slashes, self.map.host_matching,
               tuple(sorted((name, id(cls)) for name, cls in self.map.converters.items())))
        if key not in parsed:
            before = set(self.arguments)
            compile_rule(self)
            parsed[key] = (list(self._parts), list(self._trace), dict(self._converters), self.arguments - before)
            return
        parts, trace, converters, arguments = parsed[key]
        self._parts, self._trace, self._converters = list(parts), list(trace), dict(converters)
        self.arguments = self.arguments | arguments
        self._build = self._compile_builder(False).__get__(self, None)
        self._build_unknown = self._compile_builder(True).__get__(self, None)

    Rule.compile = cached


def _share_dialects() -> None:
    """One dialect object (with its compiled statements) for every engine of the same dialect and options."""
    make_engine = SQLAlchemy._make_engine
    shared = {}

    @functools.wraps(make_engine)
    def sharing(self, bind_key, options, app):
        engine = make_engine(self, bind_key, options, app)
        key = (type(engine.dialect), engine.url.drivername,
               repr(sorted((name, repr(value)) for name, value in options.items() if name != "url")))
        dialect, compiled = shared.setdefault(key, (engine.dialect, engine._compiled_cache))
        engine.dialect, engine.pool._dialect, engine._compiled_cache = dialect, dialect, compiled
        return engine

    SQLAlchemy._make_engine = sharing


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
    _cache_parsed_rules()
    _share_dialects()
    Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": _MemoryBytecodeCache()}

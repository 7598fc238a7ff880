"""The canonical form of an optimized HLO module, its sha256 and its op counts.

``compiled.as_text()`` (every JAX release the suite records, 0.4.31 ... 0.10.2) prints the
optimized HLO module that XLA will run. The text also carries what says nothing about the
program: source locations and JAX op names (``metadata={...}``, the ``FileNames`` /
``StackFrames`` tables of newer XLA), names numbered by per-process counters (``%fusion.12``,
``%Arg_0.1``, ``%fused_computation.3``), the module's name, and the printer's layout choices.
``canonical_hlo`` removes those, so that the same program hashes the same in another process
and under another JAX release; ``fingerprint`` hashes it and counts its ops.

**Canonical form** (``CANONICAL_FORM`` is its version: bump it when this changes, since every
hash changes with it):

* the ``HloModule`` line keeps only ``entry_computation_layout`` (the name becomes ``module``);
* per instruction, ``metadata={...}`` (op_name, source_file, source_line, stack frame ids),
  ``channel_id=``, ``origin=`` and ``/*index=N*/`` comments are removed; in a JSON
  ``backend_config`` the id keys (``*_id``, ``*_ids``, ``wait_on_operation_queues``) are
  removed and the rest is written with sorted keys;
* computations are renamed ``%c0, %c1, ...`` in order of appearance and each computation's
  parameters and instructions ``%v0, %v1, ...`` in order of appearance within it, whether the
  printer wrote ``%`` or not;
* operand shapes are dropped (``add(f32[8]{0} %v1, ...)`` -> ``add(%v1, ...)``: an operand's
  shape is its definition's), trailing spaces and blank lines too; the ``FileNames``,
  ``FunctionNames``, ``FileLocations`` and ``StackFrames`` tables (after the ``HloModule``
  line in jax 0.10, absent in older releases) are removed.

Everything else (opcodes, result shapes and layouts, attributes such as ``dimensions=``,
``kind=kLoop``, ``custom_call_target=``, fusion structure, instruction order) stays: a change
there is a change of the program.

**Counts** (``COUNTED_OPS``), read from the canonical text:

* ``fusion``: fusion instructions outside fused computations, i.e. the fused kernels XLA
  launches (a fusion nested inside another fusion's computation is part of that kernel and not
  counted); unfused instructions, which the CPU backend also runs as loops, are not counted;
* ``copy``, ``transpose``, ``pad``, ``concatenate``, ``slice``, ``dynamic-update-slice``,
  ``while``, ``custom-call``: instructions with exactly that opcode anywhere in the module,
  fused computations included (a transpose fused into a loop still reorders memory);
* ``instructions`` (index only, not an asv benchmark): every instruction of the module.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

#: Version of the canonical form; stored with every fingerprint. Hashes of different forms are
#: never compared.
CANONICAL_FORM = 1

#: The counts kept per program, in this order; the first nine are asv track_ benchmarks.
COUNTED_OPS = ("fusion", "copy", "transpose", "pad", "concatenate", "slice",
               "dynamic-update-slice", "while", "custom-call")
COUNT_KEYS = COUNTED_OPS + ("instructions",)
#: count -> the plural in its asv benchmark's name (``track_hlo_<plural>``, class
#: ``HLO<Plural>``; benchmarks/bench_program.py) and its rule (vjplab.history.steps)
TRACKED_PLURALS = {"fusion": "fusions", "copy": "copies", "transpose": "transposes",
                   "pad": "pads", "concatenate": "concatenates", "slice": "slices",
                   "dynamic-update-slice": "dynamic_update_slices", "while": "whiles",
                   "custom-call": "custom_calls"}

_TABLE_HEADERS = ("FileNames", "FunctionNames", "FileLocations", "StackFrames")
_NAME = r"[A-Za-z_][\w.\-]*"
_TOKEN = re.compile(r"(?<![\w.\-%])%?(" + _NAME + r")")
_COMMENT = re.compile(r"/\*.*?\*/")
_SHAPE = (r"(?:[A-Za-z][A-Za-z0-9]*\[[^\]]*\](?:\{[^{}]*\})?"
          r"|\((?:[^()]|\([^()]*\))*\))")
_OPERAND_SHAPE = re.compile(r"(?<=[(,\s])" + _SHAPE + r"\s+(?=%[cv]\d+\b)")
_INSTRUCTION = re.compile(r"^\s*(?:ROOT\s+)?%?(" + _NAME + r")\s*=\s")
_ID_KEY = re.compile(r"(^|_)ids?$")
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_QUOTED_SPLIT = re.compile(r'("(?:[^"\\]|\\.)*")')


@dataclass(frozen=True)
class Fingerprint:
    """A program's canonical HLO text, its sha256 (hex) and its op counts."""

    text: str
    sha256: str
    counts: dict[str, int]
    form: int = CANONICAL_FORM


def fingerprint(hlo_text: str) -> Fingerprint:
    """The fingerprint of an optimized HLO module (``compiled.as_text()``)."""
    text = canonical_hlo(hlo_text)
    return Fingerprint(text, hashlib.sha256(text.encode()).hexdigest(), count_ops(text))


def canonical_hlo(hlo_text: str) -> str:
    """``hlo_text`` in canonical form (see the module docstring)."""
    lines = []
    in_table = False
    for raw in hlo_text.splitlines():
        line = raw.rstrip()
        if line.strip() in _TABLE_HEADERS:
            in_table = True  # rows ``1 "file.py"``, ``1 {file_location_id=1 ...}`` follow
            continue
        if not line.strip() or (in_table and line[0].isdigit()):
            continue
        in_table = False
        if line.startswith("HloModule"):
            layout = _attribute_value(line, "entry_computation_layout")
            line = "HloModule module" + (f", entry_computation_layout={layout}" if layout else "")
        else:
            line = _clean_attributes(_COMMENT.sub("", line))
        lines.append(line)
    return "\n".join(_rename(lines)) + "\n"


def count_ops(canonical: str) -> dict[str, int]:
    """``COUNT_KEYS`` -> count, from a canonical text (see the module docstring)."""
    computations: list[tuple[str, list[tuple[str, str]]]] = []  # (name, [(opcode, line)])
    fused: set[str] = set()
    for line in canonical.splitlines():
        if _is_header(line):
            computations.append((line.split()[1 if line.startswith("ENTRY") else 0], []))
            continue
        opcode = _opcode(line)
        if opcode is None or not computations:
            continue
        computations[-1][1].append((opcode, line))
        if opcode == "fusion":
            called = re.search(r"\bcalls=(%c\d+)", line)
            if called:
                fused.add(called.group(1))
    counts = dict.fromkeys(COUNT_KEYS, 0)
    for name, instructions in computations:
        for opcode, _ in instructions:
            counts["instructions"] += 1
            if opcode == "fusion":
                counts["fusion"] += name not in fused
            elif opcode in counts:
                counts[opcode] += 1
    return counts


def _is_header(line: str) -> bool:
    """A computation's first line: ``[ENTRY ]%name (params) -> shape {`` (not indented)."""
    return (bool(line) and not line[0].isspace() and line.endswith("{")
            and not line.startswith("HloModule"))


def _opcode(line: str) -> str | None:
    """The opcode of an instruction line (None for other lines)."""
    match = _INSTRUCTION.match(line)
    if not match:
        return None
    rest = line[match.end():].lstrip()
    if rest.startswith("("):  # a tuple shape
        rest = rest[_balanced_end(rest, 0):]
    else:
        rest = rest.split(" ", 1)[1] if " " in rest else ""
    found = re.match(r"\s*([a-z][\w\-]*)\(", rest)
    return found.group(1) if found else None


def _rename(lines: list[str]) -> list[str]:
    """Computations -> %c0.., each computation's parameters and instructions -> %v0.."""
    computations: dict[str, str] = {}
    for line in lines:
        if _is_header(line):
            name = line.split()[1 if line.startswith("ENTRY") else 0].lstrip("%")
            computations.setdefault(name, f"c{len(computations)}")
    out: list[str] = []
    local: dict[str, str] = {}
    defined: set[str] = set()
    for index, line in enumerate(lines):
        if _is_header(line):
            local = {}
            signature = line[line.find("("):] if "(" in line else ""
            defined = set(re.findall(r"(?:\(|,\s*)%?(" + _NAME + r"):", signature))
            defined |= _block_definitions(lines, index)
        out.append(_rename_line(line, computations, local, defined))
    return [_OPERAND_SHAPE.sub("", line) for line in out]


def _block_definitions(lines: list[str], start: int) -> set[str]:
    """The instruction names defined in the computation whose header is ``lines[start]``."""
    names = set()
    for line in lines[start + 1:]:
        if line.startswith("}") or _is_header(line):
            break
        match = _INSTRUCTION.match(line)
        if match:
            names.add(match.group(1))
    return names


def _rename_line(line: str, computations: dict[str, str], local: dict[str, str],
                 defined: set[str]) -> str:
    """Rename the names of one line, outside quoted strings; ``local`` grows in place."""
    pieces = _QUOTED_SPLIT.split(line)

    def replace(match: re.Match) -> str:
        name, end = match.group(1), match.end()
        following = match.string[end:end + 1]
        if following in ("(", "="):  # an opcode, or an attribute's key
            return match.group(0)
        if name in defined:
            local.setdefault(name, f"v{len(local)}")
            return "%" + local[name]
        if name in computations:
            return "%" + computations[name]
        return match.group(0)

    return "".join(piece if index % 2 else _TOKEN.sub(replace, piece)
                   for index, piece in enumerate(pieces))


def _balanced_end(text: str, start: int) -> int:
    """Index after the bracket group opening at ``text[start]`` (quotes respected)."""
    pairs = {"(": ")", "{": "}", "[": "]"}
    stack, i, quoted = [], start, False
    while i < len(text):
        ch = text[i]
        if quoted:
            if ch == "\\":
                i += 1
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch in pairs:
            stack.append(pairs[ch])
        elif stack and ch == stack[-1]:
            stack.pop()
            if not stack:
                return i + 1
        i += 1
    return len(text)


def _value_end(line: str, start: int) -> int:
    """Index after an attribute value starting at ``line[start]``: a bracket group, a quoted
    string, or a bare token up to the next comma."""
    if start < len(line) and line[start] in "({[":
        return _balanced_end(line, start)
    if start < len(line) and line[start] == '"':
        match = _QUOTED.match(line, start)
        return match.end() if match else len(line)
    comma = line.find(",", start)
    return len(line) if comma < 0 else comma


def _find_attribute(line: str, key: str) -> tuple[int, int, int] | None:
    """(start of ``, key=``, start of the value, end of the value), outside quoted strings."""
    quoted = [m.span() for m in _QUOTED.finditer(line)]
    for match in re.finditer(r",\s*" + re.escape(key) + "=", line):
        if any(start <= match.start() < end for start, end in quoted):
            continue
        return match.start(), match.end(), _value_end(line, match.end())
    return None


def _attribute_value(line: str, key: str) -> str | None:
    found = _find_attribute(line, key)
    return line[found[1]:found[2]] if found else None


def _clean_attributes(line: str) -> str:
    for key in ("metadata", "channel_id", "origin"):
        while (found := _find_attribute(line, key)) is not None:
            line = line[:found[0]] + line[found[2]:]
    found = _find_attribute(line, "backend_config")
    if found is not None:
        value = _clean_backend_config(line[found[1]:found[2]])
        line = line[:found[0]] + (f", backend_config={value}" if value else "") + line[found[2]:]
    return line


def _clean_backend_config(value: str) -> str | None:
    """A JSON backend_config without its id keys, keys sorted (None when nothing is left);
    any other value unchanged."""
    quoted = value.startswith('"')
    try:
        data = json.loads(json.loads(value) if quoted else value)
    except (ValueError, TypeError):
        return value
    if not isinstance(data, dict):
        return value

    def strip(node):
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items()
                    if not (_ID_KEY.search(k) or k == "wait_on_operation_queues")}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    data = strip(data)
    if not data:
        return None
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return json.dumps(text) if quoted else text

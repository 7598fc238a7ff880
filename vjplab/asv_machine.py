"""asv's entry for a named machine (~/.asv-machine.json), filled with this host's facts.

asv 0.6's ``asv machine --yes --machine NAME`` saves only the name when ~/.asv-machine.json has
no entry for NAME yet (``Machine.load`` updates the empty entry with its arguments, which makes
it non-empty, so asv's defaults are never asked for; explicit ``--arch``/``--cpu``/``--num_cpu``
are dropped too). Results recorded under a new name on a fresh host (a CI runner, a lent GPU
machine) then said nothing of the hardware: the dashboard showed arch, cpu, num_cpu, os and ram
empty. ``ensure_machine_entry`` fills the fields an entry lacks with asv's own defaults
(``Machine.get_defaults``, this host's); fields already there are kept.
"""

from __future__ import annotations

from pathlib import Path

#: the fields of asv's machine.json besides ``machine``
FACTS = ("arch", "cpu", "num_cpu", "os", "ram")


def machine_file() -> Path:
    from asv.machine import MachineCollection

    return Path(MachineCollection.get_machine_file_path())


def ensure_machine_entry(machine: str, path: Path | None = None) -> dict[str, str]:
    """The entry of ``machine`` in asv's machine file (``path``; default ~/.asv-machine.json),
    after filling the facts it lacks with this host's (asv's defaults); returns it."""
    from asv import util
    from asv.machine import Machine, MachineCollection

    path = Path(path) if path else machine_file()
    stored = util.load_json(str(path), MachineCollection.api_version) if path.is_file() else {}
    entry = dict(stored.get(machine) or {})
    defaults = Machine.get_defaults()
    missing = {field: defaults[field] for field in FACTS if not entry.get(field)}
    if missing or entry.get("machine") != machine:
        entry = {**entry, **missing, "machine": machine}
        MachineCollection.save(machine, entry, _path=str(path))
    return entry

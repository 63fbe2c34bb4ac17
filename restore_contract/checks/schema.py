"""The contract's OpenAPI document as schemathesis sees it, configured by the project's own schemathesis.toml.

Schemathesis looks for schemathesis.toml from the working directory up; a run started elsewhere
(`cd /tmp && pytest /path/to/restore_contract/suite`) found none and generated other requests (a replay then fails
and asks to re-record). So the file is named here, from the project, and every user of the schema loads it
through this module.
"""

from __future__ import annotations

from pathlib import Path

import schemathesis

from restore_contract.compat import memoize_config_lookups
from restore_contract.contracts import OPENAPI_PATH

CONFIG_PATH = Path(__file__).resolve().parent / "schemathesis.toml"  # package data: there from an install too
SCHEMA = schemathesis.openapi.from_path(str(OPENAPI_PATH), config=schemathesis.Config.from_path(CONFIG_PATH))
memoize_config_lookups(SCHEMA.config)

"""``pictag eval reid`` (registered in `pictag.cli.eval_cmd.EVAL_MODULES`)."""

from __future__ import annotations

from pictag.cli.reid_cmds import register_eval as register

__all__ = ["register"]

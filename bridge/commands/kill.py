"""`python -m bridge kill`: the kill switch. The runner cancels every open order and halts while the file exists."""
from __future__ import annotations

import datetime as dt


def register(sub) -> None:
    p = sub.add_parser("kill", help="kill switch: cancel all open orders and halt the runner (file risk.kill_switch_file)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--off", action="store_true", help="remove the kill switch (trading resumes)")
    g.add_argument("--status", action="store_true", help="show whether the kill switch is on")
    p.add_argument("--reason", default="manual", help="why (written into the file)")
    p.set_defaults(func=run)


def run(args) -> int:
    from config.loader import load_config, project_path

    cfg = load_config(args.config)
    path = project_path(cfg.risk.kill_switch_file)
    if args.status:
        if path.exists():
            print(f"kill switch ON ({path}): {path.read_text(encoding='utf-8').strip()}")
        else:
            print(f"kill switch off ({path} does not exist)")
        return 0
    if args.off:
        if path.exists():
            path.unlink()
            print(f"kill switch removed ({path}); a running runner resumes trading within a second")
        else:
            print(f"kill switch was not on ({path} does not exist)")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{dt.datetime.now().astimezone().isoformat(timespec='seconds')} {args.reason}\n", encoding="utf-8")
    print(f"kill switch ON ({path}): a running runner cancels all open orders and halts; "
          "`python -m bridge kill --off` resumes")
    return 0

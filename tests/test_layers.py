"""The engine and the targets core stay free of Textual and of the CLI."""

import subprocess
import sys


def test_engine_and_targets_import_no_textual():
    code = (
        "import sys\n"
        "import revops_tui.kpis.engine, revops_tui.kpis.drilldown, revops_tui.kpis.quality\n"
        "import revops_tui.targets.store, revops_tui.targets.status, revops_tui.targets.values\n"
        "bad = [m for m in sys.modules if m.split('.')[0] == 'textual' or m in ('revops_tui.cli', 'revops_tui.tui')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_workspace_first_frame_needs_no_data_library():
    # What runs before the first frame (the CLI, the settings, the app and its screens) imports
    # neither Polars nor the engine: they load in the app's worker, beside the first frame.
    code = (
        "import sys\n"
        "import revops_tui.cli, revops_tui.tui.app\n"
        "from revops_tui.config import data_folder_problem, settings_from_options\n"
        "bad = [m for m in sys.modules if m.split('.')[0] == 'polars' or m.startswith('revops_tui.kpis.engine')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)

"""Runs one of the course's Python programs unchanged and saves the matplotlib
figures it drew to FIGDIR/<program>_<n>.png (for machines without a display):

    MPLBACKEND=Agg PYTHONPATH=build/python python3 examples/python/run_example.py \
        examples/python/hw2.py [args...] [--figures FIGDIR]
"""
import os
import runpy
import sys

os.environ.setdefault("MPLBACKEND", "Agg")


def main():
    args = sys.argv[1:]
    figdir = "figures"
    if "--figures" in args:
        i = args.index("--figures")
        figdir = args[i + 1]
        del args[i:i + 2]
    prog = args[0]
    sys.argv = args
    try:
        runpy.run_path(prog, run_name="__main__")
    finally:
        if "matplotlib.pyplot" in sys.modules:
            import matplotlib.pyplot as plt
            if plt.get_fignums():
                os.makedirs(figdir, exist_ok=True)
                base = os.path.splitext(os.path.basename(prog))[0]
                for n in plt.get_fignums():
                    path = os.path.join(figdir, "%s_%d.png" % (base, n))
                    plt.figure(n).savefig(path)
                    print("figure saved to", path)


if __name__ == "__main__":
    main()

"""The cached guest images (guest-images' recipes), for the Python scripts in bench/."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECIPES = os.path.join(ROOT, "guest-images/src/main/resources/dev/vmm/images/vmm-images.sh")


def tiny_i386(build, caller):
    """tiny-i386's kernel, initrd and kernel command line. Builds the image if missing when build
    is true; otherwise a missing image ends the calling script (named caller) with a message."""
    if build:
        subprocess.run(["bash", RECIPES, "build", "tiny-i386"], check=True, stdout=subprocess.DEVNULL)
    cache = subprocess.run(["bash", RECIPES, "dir"], capture_output=True, text=True, check=True).stdout.strip()
    image = os.path.join(cache, "tiny-i386")
    manifest = os.path.join(image, "manifest")
    if not os.path.exists(manifest):
        sys.exit(f"{caller}: tiny-i386 is not built (bench/boot.sh or ./vmm images build tiny-i386)")
    with open(manifest) as f:
        append = next(l.split("=", 1)[1].strip() for l in f if l.startswith("boot.append="))
    return os.path.join(image, "vmlinuz"), os.path.join(image, "initrd.img"), append

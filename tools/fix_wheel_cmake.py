"""Point the ROS 2 wheels' exported CMake targets at this machine's Python and numpy headers.

Why: the ros-* wheels on PyPI are built in a manylinux container whose Python lives in
/opt/python/cp311-cp311. Their exported CMake files (e.g. geometry_msgs' rosidl_generator_py
targets) list that prefix's Python and numpy include directories in
INTERFACE_INCLUDE_DIRECTORIES. CMake refuses to generate a project that links a target whose
include directory does not exist, so building any message package (pose_ros_msgs) against the
wheels fails with "Imported target ... includes non-existent path". The fix rewrites those two
directory names, inside our own virtual environment only, to the ones of the interpreter
running this script. It is idempotent: a file is only written when it still names the build
machine's paths, and any other /opt/python reference is reported rather than guessed at.

Usage: python tools/fix_wheel_cmake.py [PREFIX]   (PREFIX defaults to sys.prefix)
"""

import pathlib
import re
import sys
import sysconfig

BUILD_MACHINE = re.compile(
    r'/opt/python/cp3\d+-cp3\d+'
    r'(?P<rest>/include/python3\.\d+|/lib/python3\.\d+/site-packages/numpy/_core/include)')


def main(argv: list[str]) -> int:
    prefix = pathlib.Path(argv[1] if len(argv) > 1 else sys.prefix)
    import numpy  # noqa: I001 - imported late: the venv must exist first

    python_include = sysconfig.get_paths()['include']
    numpy_include = numpy.get_include()
    for needed in (python_include, numpy_include):
        if not pathlib.Path(needed, 'Python.h' if needed == python_include else 'numpy').exists():
            print(f'fix_wheel_cmake: {needed} lacks the headers CMake needs', file=sys.stderr)
            return 1

    def replace(match: re.Match) -> str:
        return python_include if match['rest'].startswith('/include') else numpy_include

    fixed = 0
    unknown = []
    for path in prefix.rglob('*.cmake'):
        text = path.read_text(errors='surrogateescape')
        if '/opt/python/' not in text:
            continue
        new = BUILD_MACHINE.sub(replace, text)
        if '/opt/python/' in new:
            unknown.append(path)
        if new != text:
            path.write_text(new, errors='surrogateescape')
            fixed += 1
    if unknown:
        names = '\n  '.join(str(p) for p in unknown)
        print(f'fix_wheel_cmake: unexpected /opt/python paths remain in:\n  {names}',
              file=sys.stderr)
        return 1
    print(f'fix_wheel_cmake: {fixed} CMake file(s) now use {python_include} and {numpy_include}')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

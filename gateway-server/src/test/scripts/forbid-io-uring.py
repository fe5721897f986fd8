#!/usr/bin/env python3
"""Runs a command with io_uring forbidden, as Docker's and containerd's default seccomp profiles forbid it.

    forbid-io-uring.py COMMAND [ARG...]

Installs a seccomp filter that makes io_uring_setup, io_uring_enter and io_uring_register fail with
EPERM (x86-64 and arm64 system call numbers alike: 425-427), then executes COMMAND, which inherits the
filter. Linux only; needs no privileges (it sets no_new_privs first).
"""
import ctypes
import os
import struct
import sys

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
EPERM = 1
BPF_LD_W_ABS = 0x20
BPF_JEQ_K = 0x15
BPF_RET_K = 0x06
IO_URING_SYSCALLS = (425, 426, 427)  # io_uring_setup, io_uring_enter, io_uring_register


def instruction(code, jt, jf, k):
    return struct.pack("HBBI", code, jt, jf, k)


def filter_program():
    # Load the system call number (offset 0 of struct seccomp_data); each match jumps to the EPERM
    # return at the end, anything else is allowed.
    program = [instruction(BPF_LD_W_ABS, 0, 0, 0)]
    for i, nr in enumerate(IO_URING_SYSCALLS):
        remaining = len(IO_URING_SYSCALLS) - i - 1
        program.append(instruction(BPF_JEQ_K, remaining + 1, 0, nr))
    program.append(instruction(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW))
    program.append(instruction(BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | EPERM))
    return program


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: forbid-io-uring.py COMMAND [ARG...]")
    libc = ctypes.CDLL(None, use_errno=True)
    program = filter_program()
    code = ctypes.create_string_buffer(b"".join(program))
    fprog = struct.pack("HxxxxxxP", len(program), ctypes.addressof(code))
    fprog_buffer = ctypes.create_string_buffer(fprog)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        sys.exit("prctl(PR_SET_NO_NEW_PRIVS): " + os.strerror(ctypes.get_errno()))
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, fprog_buffer, 0, 0) != 0:
        sys.exit("prctl(PR_SET_SECCOMP): " + os.strerror(ctypes.get_errno()))
    os.execvp(sys.argv[1], sys.argv[1:])


if __name__ == "__main__":
    main()

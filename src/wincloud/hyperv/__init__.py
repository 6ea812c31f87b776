"""Hyper-V hosts as OpenStack compute nodes, driven from Linux over PowerShell remoting.

Subpackages are imported by what uses them; importing ``wincloud.hyperv`` costs nothing.
"""

# wincloud:set_vhd_parent  Set-VHD -Path -ParentPath | Get-VHD projection
param([string]$Path, [string]$ParentPath)
# @common
Assert-WincloudFile $Path
Assert-WincloudFile $ParentPath
Set-VHD -Path $Path -ParentPath $ParentPath
Out-WincloudVhd (Get-VHD -Path $Path)

# wincloud:get_vhd  Get-VHD | Select-Object Path, VhdFormat, VhdType, Size, FileSize, ParentPath, Attached
param([string]$Path)
# @common
Assert-WincloudFile $Path
Out-WincloudVhd (Get-VHD -Path $Path)

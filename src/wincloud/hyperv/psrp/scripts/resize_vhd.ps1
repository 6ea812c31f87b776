# wincloud:resize_vhd  Resize-VHD -SizeBytes (grow only)
param([string]$Path, [uint64]$SizeBytes)
# @common
Assert-WincloudFile $Path
$vhd = Get-VHD -Path $Path
if ($SizeBytes -lt $vhd.Size) {
    Stop-Wincloud 'WincloudFailed' 'InvalidArgument' "shrinking is refused ($($vhd.Size) -> $SizeBytes bytes)" $Path
}
if ($SizeBytes -gt $vhd.Size) { Resize-VHD -Path $Path -SizeBytes $SizeBytes }
Out-WincloudVhd (Get-VHD -Path $Path)

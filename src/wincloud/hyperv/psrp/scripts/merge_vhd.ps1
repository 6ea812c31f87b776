# wincloud:merge_vhd  Merge-VHD -Path child [-DestinationPath ancestor]
param([string]$Path, [string]$DestinationPath = '')
# @common
Assert-WincloudFile $Path
if ($DestinationPath) {
    Assert-WincloudFile $DestinationPath
    # -DestinationPath takes wildcards: escape them so the path is taken literally.
    Merge-VHD -Path $Path -DestinationPath ([WildcardPattern]::Escape($DestinationPath)) -Force
} else {
    Merge-VHD -Path $Path -Force
}

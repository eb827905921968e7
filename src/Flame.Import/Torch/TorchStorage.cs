namespace Flame.Import.Torch;

/// <summary>A storage a torch.save pickle refers to by persistent id: its dtype, its file key in the archive (data/KEY) and its length in elements.</summary>
public sealed record TorchStorage(TorchDType DType, string Key, long Elements);

using Flame.Onnx.Proto;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Flame.Runtime;

/// <summary>
/// Where tensors that outlive a run (weights, gradients, optimizer state) live, and the copies
/// into and out of it: CPU memory, or a CUDA device's. On CUDA the copies run through a
/// one-node Identity session with IOBinding (host tensor in, device tensor out, or the
/// reverse), the path ORT's CUDA provider itself uses for bound inputs and outputs.
/// </summary>
public abstract class DeviceMemory : IDisposable
{
    /// <exception cref="DeviceUnavailableException">a CUDA device on a machine without ORT's CUDA build, CUDA or a GPU; the message says what is missing.</exception>
    public static DeviceMemory For(ExecutionDevice device) => device.IsCuda ? new CudaMemory(device.DeviceId) : new HostMemory();

    public abstract ExecutionDevice Device { get; }

    /// <summary>A tensor in this memory; its contents are unspecified.</summary>
    public abstract OrtValue Allocate(TensorElementType type, long[] shape);

    /// <summary>A float tensor in this memory, all zeros.</summary>
    public abstract OrtValue Zeros(long[] shape);

    /// <summary>Copies host elements into <paramref name="target"/> (a tensor in this memory of the same size).</summary>
    public abstract void Upload<T>(ReadOnlySpan<T> source, OrtValue target) where T : unmanaged;

    /// <summary>Copies <paramref name="source"/> (a tensor in this memory) into host elements.</summary>
    public abstract void Download<T>(OrtValue source, Span<T> target) where T : unmanaged;

    public virtual void Dispose() => GC.SuppressFinalize(this);

    private sealed class HostMemory : DeviceMemory
    {
        public override ExecutionDevice Device => ExecutionDevice.Cpu;

        public override OrtValue Allocate(TensorElementType type, long[] shape) => OrtValue.Allocate(type, shape);

        public override OrtValue Zeros(long[] shape)
        {
            var value = OrtValue.Allocate<float>(shape);
            value.AsSpan<float>().Clear();
            return value;
        }

        public override void Upload<T>(ReadOnlySpan<T> source, OrtValue target) => source.CopyTo(target.AsSpan<T>());

        public override void Download<T>(OrtValue source, Span<T> target) => source.AsSpan<T>().CopyTo(target);
    }

    private sealed unsafe class CudaMemory : DeviceMemory
    {
        private readonly int _deviceId;
        private readonly Dictionary<TensorElementType, ModelSession> _copiers = [];
        private readonly OrtMemoryInfo _memory;
        private readonly OrtAllocator _allocator;

        public CudaMemory(int deviceId)
        {
            _deviceId = deviceId;
            _memory = DeviceMemories.Cuda(deviceId);
            try
            {
                _allocator = Copier(TensorElementType.Float).CreateAllocator(_memory);   // fails here without CUDA
            }
            catch
            {
                _memory.Dispose();
                throw;
            }
        }

        public override ExecutionDevice Device => ExecutionDevice.Cuda(_deviceId);

        public override OrtValue Allocate(TensorElementType type, long[] shape) => OrtValue.CreateAllocatedTensorValue(_allocator, type, shape);

        public override OrtValue Zeros(long[] shape)
        {
            var value = Allocate(TensorElementType.Float, shape);
            Upload<float>(new float[value.ElementCount()], value);
            return value;
        }

        public override void Upload<T>(ReadOnlySpan<T> source, OrtValue target)
        {
            fixed (T* data = source)
            {
                using var host = OrtValue.OverHostMemory(data, source.Length, target.ElementType, target.Shape);
                Copy(host, target);
            }
        }

        public override void Download<T>(OrtValue source, Span<T> target)
        {
            fixed (T* data = target)
            {
                using var host = OrtValue.OverHostMemory(data, target.Length, source.ElementType, source.Shape);
                Copy(source, host);
            }
        }

        private void Copy(OrtValue from, OrtValue to)
        {
            var copier = Copier(from.ElementType);
            using var binding = copier.CreateIoBinding();
            binding.BindInput("x", from);
            binding.BindOutput("y", to);
            copier.Run(binding);
            binding.SynchronizeBoundOutputs();
        }

        private ModelSession Copier(TensorElementType type)
        {
            if (!_copiers.TryGetValue(type, out var session))
            {
                session = new ModelSession(IdentityModel(type), new SessionSettings { Device = Device, MemoryPattern = false, CudaArenaExactSizes = true });
                _copiers[type] = session;
            }

            return session;
        }

        private static byte[] IdentityModel(TensorElementType type)
        {
            static ValueInfoProto Tensor(string name, TensorElementType type) =>
                new() { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type } } };
            var graph = new GraphProto { Name = "copy" };
            graph.Input.Add(Tensor("x", type));
            graph.Output.Add(Tensor("y", type));
            graph.Node.Add(new NodeProto { OpType = "Identity", Name = "copy", Input = { "x" }, Output = { "y" } });
            var model = new ModelProto { IrVersion = 8, Graph = graph, ProducerName = "flame-onnx" };
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
            return model.ToByteArray();
        }

        public override void Dispose()
        {
            _allocator.Dispose();
            foreach (var session in _copiers.Values)
            {
                session.Dispose();
            }

            _memory.Dispose();
            base.Dispose();
        }
    }
}

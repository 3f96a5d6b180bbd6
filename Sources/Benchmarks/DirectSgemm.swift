import CBLAS
import TensorCore

/// One cblas_sgemm at a product's shape with OpenBLAS threading itself over every allowed core:
/// the rate `bench ops` holds ScanLab's products against and `bench train` holds whole steps against.
public final class DirectSgemm {
    public let shape: ProductShape
    let a: Tensor, b: Tensor, c: Tensor

    public init(_ shape: ProductShape, seed: UInt64 = 1) {
        self.shape = shape
        var g = RandomGenerator(seed: seed)
        a = Tensor.randomNormal(shape.transposeA ? [shape.k, shape.m] : [shape.m, shape.k], generator: &g)
        b = Tensor.randomNormal(shape.transposeB ? [shape.n, shape.k] : [shape.k, shape.n], generator: &g)
        c = Tensor.zeros([shape.m, shape.n])
    }

    /// The operands as tensors, for timing ScanLab's own product on the same data.
    public var operands: (a: Tensor, b: Tensor) { (a, b) }

    /// Median seconds of one call over about `seconds`. OpenBLAS's workers are stopped afterwards:
    /// left spinning (~0.1 s) they would take both cores from whatever is timed next.
    public func medianSeconds(seconds: Double, minRuns: Int = 5) -> Double {
        defer { _ = blas_thread_shutdown_() }
        return BLASThreading.withOpenBLASThreads(Parallel.cores) {
            Benchmarks.medianSeconds(seconds: seconds, minRuns: minRuns) { call() }
        }
    }

    /// Median seconds of one call on one core (OpenBLAS single-threaded, nothing else running).
    /// Its rate times the allowed cores is what their matrix units allow: the two vCPUs of the
    /// VMs this project runs on often deliver one core's FMA throughput between them for a
    /// while, which a threaded call measures and a lone single-threaded one does not.
    public func oneCoreMedianSeconds(seconds: Double, minRuns: Int = 5) -> Double {
        BLASThreading.withOpenBLASThreads(1) {
            Benchmarks.medianSeconds(seconds: seconds, minRuns: minRuns) { call() }
        }
    }

    private func call() {
        let s = shape
        cblas_sgemm(CblasRowMajor, s.transposeA ? CblasTrans : CblasNoTrans, s.transposeB ? CblasTrans : CblasNoTrans,
                    Int32(s.m), Int32(s.n), Int32(s.k), 1, a.data, Int32(s.transposeA ? s.m : s.k),
                    b.data, Int32(s.transposeB ? s.k : s.n), 0, c.data, Int32(s.n))
    }
}

/// A model's prices in USD per token.
public struct ModelPrice: Sendable, Hashable, Codable {
    /// Per uncached prompt token.
    public var input: Double
    /// Per generated token.
    public var output: Double
    /// Per prompt token read from the provider's prompt cache; the input price when `nil`.
    public var cacheRead: Double?
    /// Per prompt token written to the provider's prompt cache; the input price when `nil`.
    public var cacheWrite: Double?

    /// Creates prices (USD per token).
    public init(input: Double, output: Double, cacheRead: Double? = nil, cacheWrite: Double? = nil) {
        self.input = input
        self.output = output
        self.cacheRead = cacheRead
        self.cacheWrite = cacheWrite
    }

    /// Prices given per million tokens, as providers publish them.
    public static func perMillion(input: Double, output: Double, cacheRead: Double? = nil, cacheWrite: Double? = nil) -> ModelPrice {
        let million = 1_000_000.0
        return ModelPrice(input: input / million, output: output / million, cacheRead: cacheRead.map { $0 / million }, cacheWrite: cacheWrite.map { $0 / million })
    }
}

public import Providers

/// Turns usage into dollars.
///
/// Cached prompt tokens are a subset of the prompt: each is billed once, at its cache price, and
/// the rest of the prompt at the input price (a well-known gateway billed cache writes twice).
public enum CostCalculator {
    /// The cost of `usage` at `price`, in USD.
    public static func cost(of usage: TokenUsage, at price: ModelPrice) -> Double {
        Double(usage.uncachedPromptTokens) * price.input
            + Double(usage.cacheReadTokens) * (price.cacheRead ?? price.input)
            + Double(usage.cacheWriteTokens) * (price.cacheWrite ?? price.input)
            + Double(usage.outputTokens) * price.output
    }

    /// The most a request can cost: its prompt at the dearest prompt price (a cache write can cost
    /// more than plain input) plus `maxOutputTokens` of output. Reserved against budgets before the
    /// call and settled to the real cost after, which ``UsageCheck`` keeps within it.
    public static func reservation(promptTokens: Int, maxOutputTokens: Int, at price: ModelPrice) -> Double {
        Double(promptTokens) * max(price.input, price.cacheWrite ?? price.input) + Double(maxOutputTokens) * price.output
    }
}

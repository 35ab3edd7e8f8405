import ArgumentParser
import Foundation
import Gateway
import Providers

struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens",
        abstract: "Estimate the tokens of standard input and what sending it to a model would cost.")

    @Option(help: "The model (an id from `switchboard models`).")
    var model: String

    @Option(help: "Also price an answer of this many tokens (default: none).")
    var answerTokens: Int = 0

    @Flag(help: "Print the estimate as JSON.")
    var json = false

    func run() async throws {
        let loaded = LoadedConfiguration.load()
        guard let entry = loaded.catalog.entry(for: model) else {
            throw CleanExit.failure("\(model) is not in the model catalog; `switchboard models` lists the known models")
        }
        guard answerTokens >= 0 else { throw CleanExit.failure("--answer-tokens must be 0 or more") }
        let text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        let encoding = TokenEncoding.of(model: entry.id)
        let tokens = TokenEstimator.tokens(in: text, encoding: encoding)
        let asMessage = TokenEstimator.promptTokens([text], encoding: encoding)
        let cost = CostCalculator.cost(of: TokenUsage(promptTokens: asMessage, outputTokens: answerTokens), at: entry.price)
        if json {
            try printJSON([
                "model": entry.id, "encoding": encoding.rawValue, "characters": text.count,
                "tokens": tokens, "prompt_tokens": asMessage, "answer_tokens": answerTokens, "cost_usd": cost,
                "fits_context": asMessage + answerTokens <= entry.contextWindow,
            ] as [String: Any])
            return
        }
        print("\(tokens) tokens (estimated, \(encoding.rawValue)) in \(text.count) characters; \(asMessage) as a chat message")
        let answer = answerTokens > 0 ? " with a \(answerTokens)-token answer" : ""
        print(String(format: "sending it to %@%@ costs about $%.6f", entry.id, answer, cost))
        if asMessage + answerTokens > entry.contextWindow {
            print("it does not fit \(entry.id)'s context window of \(entry.contextWindow) tokens")
        }
    }
}

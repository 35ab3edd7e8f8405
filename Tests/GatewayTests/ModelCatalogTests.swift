import Foundation
import Providers
import Testing
import TestSupport

@testable import Gateway

@Suite struct ModelCatalogTests {
    let catalog: ModelCatalog

    init() throws {
        catalog = try ModelCatalog.bundled()
    }

    static func day(_ text: String) -> Date { ModelCatalog.day(text) ?? Date.distantPast }

    @Test func theSeedHierarchyIsTheTierOrder() throws {
        let seed = ["gpt-4-turbo", "claude-3-opus-20240229", "gpt-4", "claude-3-sonnet-20240229", "gpt-3.5-turbo", "claude-3-haiku-20240307"]
        let tiers = try seed.map { try #require(catalog.entry(for: $0)).tier }
        #expect(tiers == [1, 2, 3, 4, 5, 6])
    }

    @Test func everyEntryHasAPriceContextAndProvider() {
        #expect(catalog.entries.count >= 12)
        for entry in catalog.entries {
            #expect(["openai", "anthropic", "demo"].contains(entry.provider), "\(entry.id)")
            #expect(entry.contextWindow >= entry.maxOutput, "\(entry.id)")
            if entry.provider != "demo" {
                #expect(entry.price.input > 0 && entry.price.output > entry.price.input, "\(entry.id)")
            }
        }
    }

    @Test func catalogPricesGiveTheGoldenCosts() throws {
        let mini = try #require(catalog.entry(for: "gpt-4o-mini"))
        let cost = CostCalculator.cost(of: TokenUsage(promptTokens: 2_000, outputTokens: 300, cacheReadTokens: 1_024), at: mini.price)
        #expect(abs(cost - 0.0004032) < 1e-10)
        let sonnet = try #require(catalog.entry(for: "claude-sonnet-4-5"))
        let claude = CostCalculator.cost(of: TokenUsage(promptTokens: 12_307, outputTokens: 550, cacheWriteTokens: 12_304), at: sonnet.price)
        #expect(abs(claude - 0.054399) < 1e-9)
    }

    @Test func retirementFollowsTheDate() throws {
        let sonnet = try #require(catalog.entry(for: "claude-sonnet-4-5"))
        #expect(!sonnet.isRetired(on: Self.day("2026-11-24")))
        #expect(sonnet.isRetired(on: Self.day("2026-11-30")))
        #expect(try #require(catalog.entry(for: "claude-3-haiku-20240307")).isRetired(on: Self.day("2026-01-01")))
        #expect(!(try #require(catalog.entry(for: "claude-haiku-4-5")).isRetired(on: Self.day("2030-01-01"))))
    }

    @Test func theOperatorsFileOverridesAndAdds() throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("models.json", """
            {"models": [
              {"id": "gpt-4o-mini", "provider": "openai", "tier": 4, "input": 0.2, "output": 0.8, "context_window": 128000, "max_output": 16384},
              {"id": "llama3.1", "provider": "ollama", "tier": 6, "input": 0, "output": 0, "context_window": 8192, "max_output": 2048}
            ]}
            """)
        let merged = try ModelCatalog.load(overridesFile: file)
        #expect(merged.entries.count == catalog.entries.count + 1)
        #expect(merged.entry(for: "gpt-4o-mini")?.price == ModelPrice.perMillion(input: 0.2, output: 0.8))
        #expect(merged.entry(for: "llama3.1")?.provider == "ollama")
    }

    @Test(arguments: [
        ("{\"models\": [", "is not valid JSON"),
        ("[1, 2]", "expected {\"models\""),
        ("{\"models\": [{\"id\": \"x\", \"provider\": \"openai\", \"tier\": 1, \"input\": -1, \"output\": 1, \"context_window\": 10, \"max_output\": 5}]}", "models[0] (x): \"input\" is negative"),
        ("{\"models\": [{\"id\": \"x\", \"provider\": \"openai\", \"tier\": 1, \"input\": 1, \"context_window\": 10, \"max_output\": 5}]}", "(x): missing \"output\""),
        ("{\"models\": [{\"id\": \"x\", \"provider\": \"openai\", \"tier\": 1, \"input\": \"1\", \"output\": 1, \"context_window\": 10, \"max_output\": 5}]}", "\"input\" must be a number"),
        ("{\"models\": [{\"id\": \"x\", \"provider\": \"openai\", \"tier\": 1, \"input\": 1, \"output\": 1, \"context_window\": 10, \"max_output\": 5, \"retirement_date\": \"soon\"}]}", "must be YYYY-MM-DD"),
    ])
    func brokenFilesAreClearErrorsNamingTheEntry(text: String, expected: String) throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("bad.json", text)
        do {
            _ = try ModelCatalog.load(overridesFile: file)
            Issue.record("accepted a broken catalog")
        } catch {
            #expect(error.message.contains(expected), "\(error.message)")
            #expect(error.message.contains("bad.json"))
        }
    }
}

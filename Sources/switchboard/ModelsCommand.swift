import ArgumentParser
import Core
import Foundation
import Gateway
import Store

struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the model catalog with prices and whether each model can be used now.")

    @Flag(help: "Print the catalog as JSON.")
    var json = false

    func run() async throws {
        let loaded = LoadedConfiguration.load()
        let overrides = loaded.providerOverrides()
        let now = Date()
        let rows = loaded.catalog.entries.sorted { ($0.provider, $0.tier, $0.id) < ($1.provider, $1.tier, $1.id) }.map { entry in
            (entry, Self.availability(of: entry, settings: loaded.settings, overrides: overrides, on: now))
        }
        if json {
            try printJSON(rows.map { entry, status in
                [
                    "id": entry.id, "provider": entry.provider, "name": entry.name, "tier": entry.tier,
                    "input_per_million": entry.price.input * 1e6, "output_per_million": entry.price.output * 1e6,
                    "cache_read_per_million": entry.price.cacheRead.map { $0 * 1e6 } ?? NSNull(),
                    "cache_write_per_million": entry.price.cacheWrite.map { $0 * 1e6 } ?? NSNull(),
                    "context_window": entry.contextWindow, "max_output": entry.maxOutput,
                    "available": status == "available", "status": status,
                ] as [String: Any]
            })
            return
        }
        var table = [["MODEL", "PROVIDER", "TIER", "$/M IN", "$/M OUT", "CONTEXT", "MAX OUT", "STATUS"]]
        for (entry, status) in rows {
            table.append([
                entry.id, entry.provider, String(entry.tier), Self.money(entry.price.input), Self.money(entry.price.output),
                String(entry.contextWindow), String(entry.maxOutput), status,
            ])
        }
        print(TextTable.render(table, rightAligned: [2, 3, 4, 5, 6]))
    }

    static func money(_ perToken: Double) -> String {
        String(format: "%.2f", perToken * 1_000_000)
    }

    /// Why a model can or cannot be routed to now, in a word or two.
    static func availability(of entry: ModelEntry, settings: Settings, overrides: [String: ProviderOverrides], on date: Date) -> String {
        if entry.isRetired(on: date) {
            return entry.retirementDate.map { "retired \(ModelCatalog.dayString($0))" } ?? "retired"
        }
        if entry.provider == Settings.demoProviderName {
            return settings.usesDemoProvider ? "available (offline demo)" : "off (a real provider is configured)"
        }
        guard let provider = settings.providers.first(where: { $0.name == entry.provider }) else {
            return "provider not declared"
        }
        guard provider.isConfigured else { return "\(provider.apiKeyVariable ?? "key") not set" }
        if overrides[entry.provider]?.enabled == false { return "provider disabled" }
        return "available"
    }
}

/// Plain-text tables for the command line.
enum TextTable {
    static func render(_ rows: [[String]], rightAligned: Set<Int> = []) -> String {
        let widths = (0..<(rows.first?.count ?? 0)).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return rightAligned.contains(column) ? pad + cell : cell + pad
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }
}

public import Core
public import Foundation

/// One model the router may choose: who serves it, how good it is, what it costs, how much fits.
public struct ModelEntry: Sendable, Hashable {
    /// The provider's model id (`gpt-4o-mini`).
    public var id: String
    /// The provider that serves it (`openai`, `anthropic`, a compatible provider's name, `demo`).
    public var provider: String
    /// A display name.
    public var name: String
    /// Quality tier, 1 best (the seed guide's hierarchy is the starting order).
    public var tier: Int
    /// Prices per token.
    public var price: ModelPrice
    /// Tokens of prompt and answer together.
    public var contextWindow: Int
    /// Most tokens of answer.
    public var maxOutput: Int
    /// Retired by its provider (or past `retirementDate`): never routed to.
    public var retired: Bool
    /// The day the provider retires (or retired) the model.
    public var retirementDate: Date?
    /// `false` for a compatible provider's model that is neither in the catalog nor priced by
    /// the operator (`NAME_PRICES`): never routed to, since it would look free.
    public var priceIsKnown: Bool = true

    /// Input plus output price per token: the figure "cheaper" compares.
    public var blendedPrice: Double { price.input + price.output }

    /// Whether the model can still be called on `date`.
    public func isRetired(on date: Date) -> Bool {
        retired || retirementDate.map { $0 <= date } ?? false
    }
}

/// Why a catalog file could not be used. Names the file and the entry.
public struct CatalogError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// The models Switchboard knows: the catalog shipped in the repository (`models.json`), with the
/// operator's file (`SWITCHBOARD_MODELS_FILE`) merged over it by id. A model that is not in the
/// catalog has no price, and the Gateway refuses to route to it rather than call it free.
public struct ModelCatalog: Sendable {
    /// The entries, in file order.
    public private(set) var entries: [ModelEntry]

    /// A catalog of the given entries.
    public init(entries: [ModelEntry]) {
        self.entries = entries
    }

    /// The catalog shipped with Switchboard.
    public static func bundled() throws(CatalogError) -> ModelCatalog {
        guard let url = Bundle.module.url(forResource: "models", withExtension: "json") else {
            throw CatalogError(message: "the bundled model catalog (models.json) is missing from the build")
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw CatalogError(message: "the bundled model catalog \(url.path) cannot be read: \(error.localizedDescription)")
        }
        return ModelCatalog(entries: try parse(data, source: "models.json"))
    }

    /// The bundled catalog with the operator's file merged over it, when one is given.
    public static func load(overridesFile: String?) throws(CatalogError) -> ModelCatalog {
        var catalog = try bundled()
        if let overridesFile {
            guard let data = FileManager.default.contents(atPath: overridesFile) else {
                throw CatalogError(message: "SWITCHBOARD_MODELS_FILE: cannot read \(overridesFile)")
            }
            catalog.merge(try parse(data, source: overridesFile))
        }
        return catalog
    }

    /// Replaces entries with the same id and appends new ones.
    public mutating func merge(_ overrides: [ModelEntry]) {
        for entry in overrides {
            if let index = entries.firstIndex(where: { $0.id == entry.id }) {
                entries[index] = entry
            } else {
                entries.append(entry)
            }
        }
    }

    /// The entry for a model id, if the catalog has it.
    public func entry(for id: String) -> ModelEntry? {
        entries.first { $0.id == id }
    }

    /// A compatible provider's model that the catalog lacks: tier 5, an 8k window, at the price
    /// the operator declared; with none, flagged so that the router never takes it for free.
    public static func compatible(model: String, provider: String, declared: DeclaredPrice?) -> ModelEntry {
        let price = declared.map { ModelPrice.perMillion(input: $0.inputPerMillion, output: $0.outputPerMillion) } ?? ModelPrice(input: 0, output: 0)
        return ModelEntry(
            id: model, provider: provider, name: model, tier: 5, price: price,
            contextWindow: 8_192, maxOutput: 2_048, retired: false, retirementDate: nil, priceIsKnown: declared != nil)
    }

    /// Every model of a provider, best tier first.
    public func models(of provider: String) -> [ModelEntry] {
        entries.filter { $0.provider == provider }.sorted { $0.tier < $1.tier }
    }

    /// Parses a catalog file: `{"models": [{"id", "provider", "tier", "input", "output", …}]}` with
    /// prices in USD per million tokens.
    public static func parse(_ data: Data, source: String) throws(CatalogError) -> [ModelEntry] {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error.localizedDescription)"
            throw CatalogError(message: "\(source) is not valid JSON: \(detail)")
        }
        guard let root = object as? [String: Any], let models = root["models"] as? [[String: Any]] else {
            throw CatalogError(message: "\(source): expected {\"models\": [ … ]}")
        }
        var seen = Set<String>()
        return try models.enumerated().map { (index, model) throws(CatalogError) -> ModelEntry in
            let entry = try parseEntry(model, at: "\(source) models[\(index)]")
            guard seen.insert(entry.id).inserted else {
                throw CatalogError(message: "\(source): model '\(entry.id)' is listed twice")
            }
            return entry
        }
    }

    static func parseEntry(_ model: [String: Any], at place: String) throws(CatalogError) -> ModelEntry {
        guard let id = model["id"] as? String, !id.isEmpty else {
            throw CatalogError(message: "\(place): missing \"id\"")
        }
        let label = "\(place) (\(id))"
        guard let provider = model["provider"] as? String, !provider.isEmpty else {
            throw CatalogError(message: "\(label): missing \"provider\"")
        }
        func number(_ key: String, required: Bool) throws(CatalogError) -> Double? {
            guard let value = model[key], !(value is NSNull) else {
                if required { throw CatalogError(message: "\(label): missing \"\(key)\"") }
                return nil
            }
            guard type(of: value) != Bool.self, let number = (value as? NSNumber)?.doubleValue, number.isFinite else {
                throw CatalogError(message: "\(label): \"\(key)\" must be a number")
            }
            guard number >= 0 else {
                throw CatalogError(message: "\(label): \"\(key)\" is negative (\(number)); prices and sizes are 0 or more")
            }
            return number
        }
        let perMillion = 1_000_000.0
        let input = try number("input", required: true) ?? 0
        let output = try number("output", required: true) ?? 0
        let cacheRead = try number("cache_read", required: false)
        let cacheWrite = try number("cache_write", required: false)
        let context = try number("context_window", required: true) ?? 0
        let maxOutput = try number("max_output", required: true) ?? 0
        let tier = try number("tier", required: true) ?? 0
        guard context >= 1, maxOutput >= 1, tier >= 1 else {
            throw CatalogError(message: "\(label): \"tier\", \"context_window\" and \"max_output\" must be at least 1")
        }
        var retirementDate: Date?
        if let text = model["retirement_date"] as? String {
            guard let date = Self.day(text) else {
                throw CatalogError(message: "\(label): \"retirement_date\" must be YYYY-MM-DD, got '\(text)'")
            }
            retirementDate = date
        }
        return ModelEntry(
            id: id, provider: provider, name: model["name"] as? String ?? id, tier: Int(tier),
            price: ModelPrice(input: input / perMillion, output: output / perMillion, cacheRead: cacheRead.map { $0 / perMillion }, cacheWrite: cacheWrite.map { $0 / perMillion }),
            contextWindow: Int(context), maxOutput: Int(maxOutput),
            retired: model["retired"] as? Bool ?? false, retirementDate: retirementDate)
    }

    /// `YYYY-MM-DD` of a UTC day.
    public static func dayString(_ date: Date) -> String {
        Formatting.utcDay(date)
    }

    static func day(_ text: String) -> Date? {
        let parts = text.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        return calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2]))
    }
}

import Core
import Foundation
import Gateway
import Store

/// The configuration as every command sees it: the environment over `.env` over stored secrets,
/// validated, with the database opened.
struct LoadedConfiguration {
    var settings: Settings
    var report: ConfigReport
    /// `nil` when the database could not be opened (the report then says why).
    var store: SQLiteStore?
    /// The `.env` file consulted, and whether it exists.
    var dotEnvPath: String
    var dotEnvFound: Bool
    /// The model catalog (the bundled one when the operator's file is unusable; the report says why).
    var catalog: ModelCatalog = ModelCatalog(entries: [])

    /// The operator's provider controls (enabled, quotas); a database that cannot be read is said
    /// on stderr, and the defaults shown, rather than the command failing.
    func providerOverrides() -> [String: ProviderOverrides] {
        guard let store else { return [:] }
        do {
            return try store.providerOverrides()
        } catch {
            FileHandle.standardError.write(Data("warning: the operator's provider settings cannot be read (\(error.message)); showing the defaults\n".utf8))
            return [:]
        }
    }

    /// The `.env` file in the working directory.
    static var defaultDotEnvPath: String {
        FileManager.default.currentDirectoryPath + "/.env"
    }

    /// `checkingIntegrity`: also run SQLite's quick check on the database (it reads the whole file:
    /// `config check`, `run` and the console ask for it, one-shot commands do not).
    static func load(environment: [String: String] = ProcessInfo.processInfo.environment, dotEnvPath: String = defaultDotEnvPath, checkingIntegrity: Bool = false) -> LoadedConfiguration {
        let (dotEnv, fileIssues) = SettingsLoader.readDotEnv(at: dotEnvPath)
        var (settings, report) = SettingsLoader(environment: environment, dotEnv: dotEnv).load()
        report.warnings += fileIssues
        let issuesBefore = report.errors.count
        let catalog = loadCatalog(settings: settings, report: &report)
        let catalogIssues = Array(report.errors[issuesBefore...])

        Redactor.shared.register(settings)
        let store: SQLiteStore
        do {
            store = try SQLiteStore(path: settings.databasePath)
        } catch {
            report.errors.append(ConfigIssue(ConfigVariable.database.name, error.description))
            return LoadedConfiguration(settings: settings, report: report, store: nil, dotEnvPath: dotEnvPath, dotEnvFound: dotEnv != nil, catalog: catalog)
        }
        if checkingIntegrity {
            do {
                let problems = try store.quickCheck()
                if !problems.isEmpty {
                    report.errors.append(ConfigIssue(ConfigVariable.database.name, "\(settings.databasePath) is damaged (SQLite quick check: \(problems.prefix(3).joined(separator: "; "))): stop, copy it aside and restore a backup, or try `sqlite3 \(settings.databasePath) .recover`"))
                }
            } catch {
                report.errors.append(ConfigIssue(ConfigVariable.database.name, error.description))
            }
        }

        let vault = SecretVault(store: store, masterKey: settings.masterKey, environment: settings.environment)
        let (stored, secretIssues) = vault.openAll()
        let storable = Set(SettingsLoader.storableSecretNames(environment: environment, dotEnv: dotEnv))
        if !stored.isEmpty {
            // Stored secrets only fill secret variables, so the database path and master key found in
            // the first pass stay the same in the second.
            (settings, report) = SettingsLoader(environment: environment, dotEnv: dotEnv, storedSecrets: stored.filter { storable.contains($0.key) }).load()
            report.warnings += fileIssues
            report.errors += catalogIssues  // the catalog file is read once; its verdict carries over
        }
        report.errors += secretIssues
        checkPrices(settings: settings, catalog: catalog, into: &report)
        Redactor.shared.register(settings)
        return LoadedConfiguration(settings: settings, report: report, store: store, dotEnvPath: dotEnvPath, dotEnvFound: dotEnv != nil, catalog: catalog)
    }

    /// Compatible providers' models that have no price anywhere are never used (they would look
    /// free to the router): say which, and how to declare them.
    static func checkPrices(settings: Settings, catalog: ModelCatalog, into report: inout ConfigReport) {
        for provider in settings.providers where provider.kind == .openAICompatible {
            let variable = SettingsLoader.variablePrefix(for: provider.name) + "_PRICES"
            let unpriced = provider.models.filter { catalog.entry(for: $0) == nil && provider.declaredPrice(of: $0) == nil }
            if !unpriced.isEmpty {
                report.warnings.append(ConfigIssue(variable, "\(unpriced.joined(separator: ", ")) of '\(provider.name)' \(unpriced.count == 1 ? "has" : "have") no price and will not be used: declare it here (model=free, or model=INPUT/OUTPUT in USD per million tokens; * for every model) or in SWITCHBOARD_MODELS_FILE"))
            }
            let unlisted = provider.prices.keys.filter { $0 != DeclaredPrice.everyModel && !provider.models.contains($0) }.sorted()
            if !unlisted.isEmpty {
                report.warnings.append(ConfigIssue(variable, "prices \(unlisted.joined(separator: ", ")), which \(SettingsLoader.variablePrefix(for: provider.name))_MODELS does not list"))
            }
        }
    }

    /// The catalog with the operator's file merged in; a broken file is an error and the bundled
    /// catalog is used meanwhile.
    static func loadCatalog(settings: Settings, report: inout ConfigReport) -> ModelCatalog {
        do {
            return try ModelCatalog.load(overridesFile: settings.modelsFile)
        } catch {
            report.errors.append(ConfigIssue(settings.modelsFile == nil ? nil : ConfigVariable.modelsFile.name, error.message))
            // The models file's error is reported; a build without its own catalog has no models.
            return (try? ModelCatalog.bundled()) ?? ModelCatalog(entries: [])
        }
    }
}

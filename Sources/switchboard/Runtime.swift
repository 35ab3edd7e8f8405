import Assistant
import Core
import Foundation
import Gateway
import HTTP
import Providers
import Store

/// The embedded runtime every command that answers shares: configuration, database, providers,
/// event bus and Gateway.
struct Runtime {
    let loaded: LoadedConfiguration
    let store: SQLiteStore
    let bus: EventBus<Event>
    let gateway: Gateway
    let assistant: Assistant

    struct Failure: Error {
        let message: String
    }

    static func start(_ loaded: LoadedConfiguration = .load(), bus: EventBus<Event> = EventBus<Event>()) throws(Failure) -> Runtime {
        guard let store = loaded.store else {
            let reason = loaded.report.errors.first { $0.variable == ConfigVariable.database.name }?.message ?? "the database cannot be opened"
            throw Failure(message: reason)
        }
        let settings = loaded.settings
        let client = CurlHTTPClient(options: CurlHTTPClient.Options(settings.network))
        var providers: [String: any LLMProvider] = [:]
        for configuration in settings.configuredProviders {
            providers[configuration.name] = ProviderFactory.make(configuration, transport: client, timeouts: HTTPTimeouts(settings.network))
        }
        if settings.usesDemoProvider {
            providers[DemoProvider.providerName] = DemoProvider()
        }
        let gateway = Gateway(settings: settings, catalog: loaded.catalog, store: store, providers: providers, bus: bus)
        let assistant = Assistant(gateway: gateway, store: store, settings: settings)
        return Runtime(loaded: loaded, store: store, bus: bus, gateway: gateway, assistant: assistant)
    }
}

public import Core
import Foundation

/// Stored secrets: sealed with the master key before they reach the database, opened when the
/// configuration is loaded so that they stand in for missing environment values.
///
/// The key is `LLM_MASTER_KEY`. Outside production, when it is unset, a development key is kept in
/// `master.key` beside the database (mode 0600), so the database file still never holds a secret in
/// plain text; in production storing a secret without a master key is refused.
public struct SecretVault: Sendable {
    let store: SQLiteStore
    let masterKeyText: String?
    let environment: DeploymentEnvironment

    /// The development key file used when `LLM_MASTER_KEY` is unset.
    public var developmentKeyPath: String {
        URL(fileURLWithPath: store.path).deletingLastPathComponent().appendingPathComponent("master.key").path
    }

    /// A vault over `store` using the configured master key.
    public init(store: SQLiteStore, masterKey: Secret?, environment: DeploymentEnvironment) {
        self.store = store
        self.masterKeyText = masterKey?.value
        self.environment = environment
    }

    /// Whether secrets are sealed with a development key file rather than `LLM_MASTER_KEY`.
    public var usesDevelopmentKey: Bool { masterKeyText == nil }

    /// Seals and stores `value` under `name`.
    public func set(_ name: String, value: String) throws(SecretVaultError) {
        let box = try makeBox(creatingDevelopmentKey: true)
        do {
            try store.storeSecret(name: name, sealed: box.seal(value, name: name))
        } catch let error as StoreError {
            throw SecretVaultError(error.description)
        } catch {
            throw SecretVaultError("\(error)")
        }
    }

    /// Removes a stored secret; returns whether there was one.
    public func remove(_ name: String) throws(SecretVaultError) -> Bool {
        do {
            return try store.deleteSecret(name: name)
        } catch {
            throw SecretVaultError(error.description)
        }
    }

    /// The names of the stored secrets.
    public func names() throws(SecretVaultError) -> [String] {
        do {
            return try store.sealedSecrets().keys.sorted()
        } catch {
            throw SecretVaultError(error.description)
        }
    }

    /// Opens every stored secret. A secret that cannot be opened (wrong key, tampered) is left out
    /// and reported as a configuration error naming it.
    public func openAll() -> (values: [String: String], issues: [ConfigIssue]) {
        let sealed: [String: SealedSecret]
        do {
            sealed = try store.sealedSecrets()
        } catch {
            return ([:], [ConfigIssue(nil, error.description)])
        }
        guard !sealed.isEmpty else { return ([:], []) }
        let box: SecretBox
        do {
            box = try makeBox(creatingDevelopmentKey: false)
        } catch {
            return ([:], [ConfigIssue(ConfigVariable.masterKey.name, "\(error.message) (\(sealed.count) stored secret(s) cannot be read)")])
        }
        var values: [String: String] = [:]
        var issues: [ConfigIssue] = []
        for (name, secret) in sealed.sorted(by: { $0.key < $1.key }) {
            do {
                values[name] = try box.open(secret, name: name)
            } catch {
                issues.append(ConfigIssue(name, error.message))
            }
        }
        return (values, issues)
    }

    private func makeBox(creatingDevelopmentKey: Bool) throws(SecretVaultError) -> SecretBox {
        do {
            if let masterKeyText {
                return SecretBox(masterKey: try MasterKey(masterKeyText))
            }
            guard environment != .production else {
                throw SecretVaultError("LLM_MASTER_KEY is not set: in production secrets are stored only encrypted with a master key; create one with `switchboard keygen`, add it to the environment, and try again")
            }
            return SecretBox(masterKey: try MasterKey(developmentKey(create: creatingDevelopmentKey)))
        } catch let error as SecretBoxError {
            throw SecretVaultError(error.message)
        } catch let error as SecretVaultError {
            throw error
        } catch {
            throw SecretVaultError("\(error)")
        }
    }

    private func developmentKey(create: Bool) throws -> String {
        let path = developmentKeyPath
        if let data = FileManager.default.contents(atPath: path) {
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard create else {
            throw SecretVaultError("LLM_MASTER_KEY is not set and the development key \(path) is missing")
        }
        let key = MasterKey.generate()
        // Created 0600 in one step: never readable by others, not even while being written.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor < 0 && errno == EEXIST {
            return try developmentKey(create: false)  // another process created it just now
        }
        guard descriptor >= 0 else {
            throw SecretVaultError("cannot write the development key \(path) (\(String(cString: strerror(errno)))); set LLM_MASTER_KEY instead")
        }
        defer { close(descriptor) }
        let bytes = Array((key + "\n").utf8)
        guard write(descriptor, bytes, bytes.count) == bytes.count, fsync(descriptor) == 0 else {
            unlink(path)
            throw SecretVaultError("cannot write the development key \(path) (\(String(cString: strerror(errno)))); set LLM_MASTER_KEY instead")
        }
        return key
    }
}

/// Why a secret could not be stored or read. Never contains the secret.
public struct SecretVaultError: Error, Sendable, CustomStringConvertible {
    /// What happened and what to do.
    public let message: String

    init(_ message: String) { self.message = message }

    public var description: String { message }
}

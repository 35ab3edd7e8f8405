import Core
import Foundation
import Testing
import TestSupport

@testable import Store

@Suite struct SecretVaultTests {
    @Test func storedSecretsAreEncryptedAtRestAndOpenWithTheKey() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("db.sqlite3")
        let key = Secret(MasterKey.generate())
        let vault = SecretVault(store: try SQLiteStore(path: path), masterKey: key, environment: .production)
        try vault.set("OPENAI_API_KEY", value: "sk-plaintext-canary-1234")

        let reopened = SecretVault(store: try SQLiteStore(path: path), masterKey: key, environment: .production)
        let (values, issues) = reopened.openAll()
        #expect(values == ["OPENAI_API_KEY": "sk-plaintext-canary-1234"])
        #expect(issues.isEmpty)

        for file in [path, path + "-wal"] where FileManager.default.fileExists(atPath: file) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
            #expect(bytes.range(of: Data("sk-plaintext-canary".utf8)) == nil, "plain secret in \(file)")
        }
    }

    @Test func productionWithoutMasterKeyRefusesToStore() throws {
        let directory = try TemporaryDirectory()
        let vault = SecretVault(store: try SQLiteStore(path: directory.file("db.sqlite3")), masterKey: nil, environment: .production)
        do {
            try vault.set("OPENAI_API_KEY", value: "sk-x")
            Issue.record("stored without a master key in production")
        } catch {
            #expect(error.message.contains("LLM_MASTER_KEY is not set"))
            #expect(error.message.contains("switchboard keygen"))
        }
        #expect(try vault.names().isEmpty)
    }

    @Test func developmentWithoutMasterKeyUsesAPrivateKeyFile() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.file("db.sqlite3"))
        let vault = SecretVault(store: store, masterKey: nil, environment: .development)
        try vault.set("ANTHROPIC_API_KEY", value: "sk-ant-1")
        let attributes = try FileManager.default.attributesOfItem(atPath: vault.developmentKeyPath)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(vault.openAll().values == ["ANTHROPIC_API_KEY": "sk-ant-1"])
    }

    @Test func aWrongMasterKeyIsReportedPerSecret() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.file("db.sqlite3"))
        try SecretVault(store: store, masterKey: Secret(MasterKey.generate()), environment: .development).set("OPENAI_API_KEY", value: "sk-1")
        let (values, issues) = SecretVault(store: store, masterKey: Secret(MasterKey.generate()), environment: .development).openAll()
        #expect(values.isEmpty)
        #expect(issues.count == 1)
        #expect(issues.first?.variable == "OPENAI_API_KEY")
        #expect(issues.first?.message.contains("different LLM_MASTER_KEY") == true)
    }

    @Test func tamperedCiphertextIsReported() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.file("db.sqlite3"))
        let key = Secret(MasterKey.generate())
        try SecretVault(store: store, masterKey: key, environment: .development).set("OPENAI_API_KEY", value: "sk-1")
        try store.write { db in
            try db.execute(sql: "UPDATE secrets SET ciphertext = substr(ciphertext, 1, length(ciphertext) - 1) || x'00'")
        }
        let (values, issues) = SecretVault(store: store, masterKey: key, environment: .development).openAll()
        #expect(values.isEmpty)
        #expect(issues.first?.message.contains("integrity check") == true)
    }
}

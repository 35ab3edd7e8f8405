public import Core
public import Foundation
import GRDB

extension SQLiteStore {
    /// Stores (or replaces) an encrypted secret.
    public func storeSecret(name: String, sealed: SealedSecret, at now: Date = Date()) throws(StoreError) {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO secrets (name, key_fingerprint, ciphertext, updated_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT(name) DO UPDATE SET key_fingerprint = excluded.key_fingerprint,
                        ciphertext = excluded.ciphertext, updated_at = excluded.updated_at
                    """,
                arguments: [name, sealed.keyFingerprint, sealed.combined, now])
        }
    }

    /// Every stored secret, still encrypted, by name.
    public func sealedSecrets() throws(StoreError) -> [String: SealedSecret] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT name, key_fingerprint, ciphertext FROM secrets")
            return Dictionary(uniqueKeysWithValues: rows.map { row in
                (row["name"] as String, SealedSecret(keyFingerprint: row["key_fingerprint"], combined: row["ciphertext"]))
            })
        }
    }

    /// Removes a stored secret; returns whether there was one.
    @discardableResult
    public func deleteSecret(name: String) throws(StoreError) -> Bool {
        try write { db in
            try db.execute(sql: "DELETE FROM secrets WHERE name = ?", arguments: [name])
            return db.changesCount > 0
        }
    }
}

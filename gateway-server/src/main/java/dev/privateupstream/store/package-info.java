/**
 * Where the shared private endpoints live, behind one interface: the endpoints file (SPEC §4, §7) or the
 * etcd store of {@code store.etcd} (SPEC §10), the RESOURCE JSON they share with the admin API, and the
 * replica registry's records.
 */
package dev.privateupstream.store;

/**
 * A client for etcd 3.4's v3 API through its JSON gateway ({@code /v3/...} on the client port), on Netty: the
 * shared store's connection to the cluster (SPEC §10).
 */
package dev.privateupstream.store.etcd;

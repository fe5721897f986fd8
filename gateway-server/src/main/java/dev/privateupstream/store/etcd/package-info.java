/**
 * The endpoints in an etcd v3 cluster the replicas share (SPEC §10): the store ({@code EtcdEndpointStore},
 * {@code StoredSet}, {@code ReplicaRegistry}) and its client for etcd 3.4's v3 API through the JSON gateway
 * ({@code /v3/...} on the client port), on Netty.
 */
package dev.privateupstream.store.etcd;

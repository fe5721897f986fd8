package dev.privateupstream.deploy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.kubernetes.model.jackson.Jackson2JdkTypesModule;
import java.util.Map;
import tools.jackson.databind.BeanDescription;
import tools.jackson.databind.DeserializationConfig;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.deser.BeanDeserializerBuilder;
import tools.jackson.databind.deser.ValueDeserializerModifier;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.module.SimpleModule;

/**
 * Reads Kubernetes objects into fabric8's typed model (Kubernetes 1.3x API), strictly: a field the API does
 * not have, such as a misspelt {@code imagePullPolicyy}, fails the read, as {@code kubectl apply
 * --validate=strict} would refuse it.
 *
 * <p>fabric8's model classes keep fields they do not know in an "additional properties" map (a Jackson
 * any-setter) instead of failing. The mapper here drops that any-setter from every class of the typed model,
 * so Jackson's {@code FAIL_ON_UNKNOWN_PROPERTIES} applies and names the field and where it was. Kinds the
 * model does not know (custom resources) still read as {@link GenericKubernetesResource}, which callers
 * check for.
 */
final class KubernetesModel {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final KubernetesSerialization STRICT = new KubernetesSerialization(
            JsonMapper.builderWithJackson2Defaults()
                    .addModule(new Jackson2JdkTypesModule())
                    .addModule(new SimpleModule("strict-kubernetes-model").setDeserializerModifier(
                            new NoAdditionalProperties()))
                    .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .build(),
            true);

    private KubernetesModel() {
    }

    /**
     * The typed object for one manifest document.
     *
     * @throws IllegalArgumentException naming the unknown or ill-typed field
     */
    static HasMetadata read(Map<String, Object> document) {
        final String json;
        try {
            json = JSON.writeValueAsString(document);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
        return read(json);
    }

    /** The typed object for one manifest written as YAML or JSON. */
    static HasMetadata read(String manifest) {
        final Object resource;
        try {
            resource = STRICT.unmarshal(manifest, KubernetesResource.class);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(rootMessage(e), e);
        }
        if (!(resource instanceof HasMetadata object)) {
            throw new IllegalArgumentException("not a Kubernetes object: " + resource);
        }
        return object;
    }

    private static String rootMessage(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause.getMessage();
    }

    /** Removes the any-setter that would swallow unknown fields, from fabric8's typed model classes only. */
    private static final class NoAdditionalProperties extends ValueDeserializerModifier {
        private static final long serialVersionUID = 1L;

        @Override
        public BeanDeserializerBuilder updateBuilder(DeserializationConfig config, BeanDescription.Supplier bean,
                                                     BeanDeserializerBuilder builder) {
            final Class<?> type = bean.getBeanClass();
            if (builder.getAnySetter() != null && type.getName().startsWith("io.fabric8.kubernetes.api.model.")
                    && !GenericKubernetesResource.class.isAssignableFrom(type)) {
                builder.setAnySetter(null);
            }
            return builder;
        }
    }
}

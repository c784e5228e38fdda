"""Protobuf field tables for the kinds kubenet decodes (see protobuf.py).

Generated from the `protobuf:` and `json:` struct tags of k8s.io/api and k8s.io/apimachinery v0.32.4
(the Go types of every kind in kinds.py, plus DeleteOptions, Eviction, Scale, TokenRequest) and checked
against their generated.proto. A new kind's messages come from its types.go the same way: field number and
name from `protobuf:"bytes,N,opt,name=..."`, omitempty from `json:`, p/r/m from the Go type.
A field is number -> (JSON name, type, flags). Type is a scalar
(string bool int32 int64 bytes), a special (Time MicroTime Duration IntOrString Quantity RawExtension
FieldsV1) or a message below. Flags: p pointer, r slice, m map (string keys), o omitempty,
i inline (an embedded struct whose fields JSON flattens into the parent).
"""
# fmt: off
KINDS: dict[str, str] = {
    "v1/Namespace": "core.Namespace",
    "v1/Pod": "core.Pod",
    "v1/Service": "core.Service",
    "v1/Endpoints": "core.Endpoints",
    "v1/ConfigMap": "core.ConfigMap",
    "v1/Secret": "core.Secret",
    "v1/ServiceAccount": "core.ServiceAccount",
    "v1/Node": "core.Node",
    "v1/Event": "core.Event",
    "v1/Binding": "core.Binding",
    "events.k8s.io/v1/Event": "events.Event",
    "apps/v1/Deployment": "apps.Deployment",
    "apps/v1/ReplicaSet": "apps.ReplicaSet",
    "apps/v1/StatefulSet": "apps.StatefulSet",
    "apps/v1/DaemonSet": "apps.DaemonSet",
    "apps/v1/ControllerRevision": "apps.ControllerRevision",
    "batch/v1/Job": "batch.Job",
    "batch/v1/CronJob": "batch.CronJob",
    "discovery.k8s.io/v1/EndpointSlice": "discovery.EndpointSlice",
    "networking.k8s.io/v1/Ingress": "networking.Ingress",
    "networking.k8s.io/v1/IngressClass": "networking.IngressClass",
    "networking.k8s.io/v1/NetworkPolicy": "networking.NetworkPolicy",
    "rbac.authorization.k8s.io/v1/Role": "rbac.Role",
    "rbac.authorization.k8s.io/v1/ClusterRole": "rbac.ClusterRole",
    "rbac.authorization.k8s.io/v1/RoleBinding": "rbac.RoleBinding",
    "rbac.authorization.k8s.io/v1/ClusterRoleBinding": "rbac.ClusterRoleBinding",
    "coordination.k8s.io/v1/Lease": "coordination.Lease",
    "policy/v1/Eviction": "policy.Eviction",
    "autoscaling/v1/Scale": "autoscaling.Scale",
    "authentication.k8s.io/v1/TokenRequest": "authentication.TokenRequest",
    "authentication.k8s.io/v1/SelfSubjectReview": "authentication.SelfSubjectReview",
    "authorization.k8s.io/v1/SelfSubjectAccessReview": "authorization.SelfSubjectAccessReview",
}

# meta.k8s.io kinds every group version registers (DeleteOptions is sent to any group).
META_KINDS: dict[str, str] = {"DeleteOptions": "meta.DeleteOptions"}

MESSAGES: dict[str, dict[int, tuple[str, str, str]]] = {
    "apps.ControllerRevision": {
        1: ("metadata", "meta.ObjectMeta", "o"), 2: ("data", "RawExtension", "o"), 3: ("revision", "int64", ""),
    },
    "apps.DaemonSet": {
        1: ("metadata", "meta.ObjectMeta", "o"), 2: ("spec", "apps.DaemonSetSpec", "o"),
        3: ("status", "apps.DaemonSetStatus", "o"),
    },
    "apps.DaemonSetCondition": {
        1: ("type", "string", ""), 2: ("status", "string", ""), 3: ("lastTransitionTime", "Time", "o"),
        4: ("reason", "string", "o"), 5: ("message", "string", "o"),
    },
    "apps.DaemonSetSpec": {
        1: ("selector", "meta.LabelSelector", "p"), 2: ("template", "core.PodTemplateSpec", ""),
        3: ("updateStrategy", "apps.DaemonSetUpdateStrategy", "o"), 4: ("minReadySeconds", "int32", "o"),
        6: ("revisionHistoryLimit", "int32", "po"),
    },
    "apps.DaemonSetStatus": {
        1: ("currentNumberScheduled", "int32", ""), 2: ("numberMisscheduled", "int32", ""),
        3: ("desiredNumberScheduled", "int32", ""), 4: ("numberReady", "int32", ""),
        5: ("observedGeneration", "int64", "o"), 6: ("updatedNumberScheduled", "int32", "o"),
        7: ("numberAvailable", "int32", "o"), 8: ("numberUnavailable", "int32", "o"),
        9: ("collisionCount", "int32", "po"), 10: ("conditions", "apps.DaemonSetCondition", "ro"),
    },
    "apps.DaemonSetUpdateStrategy": {
        1: ("type", "string", "o"), 2: ("rollingUpdate", "apps.RollingUpdateDaemonSet", "po"),
    },
    "apps.Deployment": {
        1: ("metadata", "meta.ObjectMeta", "o"), 2: ("spec", "apps.DeploymentSpec", "o"),
        3: ("status", "apps.DeploymentStatus", "o"),
    },
    "apps.DeploymentCondition": {
        1: ("type", "string", ""), 2: ("status", "string", ""), 6: ("lastUpdateTime", "Time", "o"),
        7: ("lastTransitionTime", "Time", "o"), 4: ("reason", "string", "o"), 5: ("message", "string", "o"),
    },
    "apps.DeploymentSpec": {
        1: ("replicas", "int32", "po"), 2: ("selector", "meta.LabelSelector", "p"),
        3: ("template", "core.PodTemplateSpec", ""), 4: ("strategy", "apps.DeploymentStrategy", "o"),
        5: ("minReadySeconds", "int32", "o"), 6: ("revisionHistoryLimit", "int32", "po"), 7: ("paused", "bool", "o"),
        9: ("progressDeadlineSeconds", "int32", "po"),
    },
    "apps.DeploymentStatus": {
        1: ("observedGeneration", "int64", "o"), 2: ("replicas", "int32", "o"), 3: ("updatedReplicas", "int32", "o"),
        7: ("readyReplicas", "int32", "o"), 4: ("availableReplicas", "int32", "o"),
        5: ("unavailableReplicas", "int32", "o"), 6: ("conditions", "apps.DeploymentCondition", "ro"),
        8: ("collisionCount", "int32", "po"),
    },
    "apps.DeploymentStrategy": {1: ("type", "string", "o"), 2: ("rollingUpdate", "apps.RollingUpdateDeployment", "po")},
    "apps.ReplicaSet": {
        1: ("metadata", "meta.ObjectMeta", "o"), 2: ("spec", "apps.ReplicaSetSpec", "o"),
        3: ("status", "apps.ReplicaSetStatus", "o"),
    },
    "apps.ReplicaSetCondition": {
        1: ("type", "string", ""), 2: ("status", "string", ""), 3: ("lastTransitionTime", "Time", "o"),
        4: ("reason", "string", "o"), 5: ("message", "string", "o"),
    },
    "apps.ReplicaSetSpec": {
        1: ("replicas", "int32", "po"), 4: ("minReadySeconds", "int32", "o"),
        2: ("selector", "meta.LabelSelector", "p"), 3: ("template", "core.PodTemplateSpec", "o"),
    },
    "apps.ReplicaSetStatus": {
        1: ("replicas", "int32", ""), 2: ("fullyLabeledReplicas", "int32", "o"), 4: ("readyReplicas", "int32", "o"),
        5: ("availableReplicas", "int32", "o"), 3: ("observedGeneration", "int64", "o"),
        6: ("conditions", "apps.ReplicaSetCondition", "ro"),
    },
    "apps.RollingUpdateDaemonSet": {1: ("maxUnavailable", "IntOrString", "po"), 2: ("maxSurge", "IntOrString", "po")},
    "apps.RollingUpdateDeployment": {1: ("maxUnavailable", "IntOrString", "po"), 2: ("maxSurge", "IntOrString", "po")},
    "apps.RollingUpdateStatefulSetStrategy": {
        1: ("partition", "int32", "po"), 2: ("maxUnavailable", "IntOrString", "po"),
    },
    "apps.StatefulSet": {
        1: ("metadata", "meta.ObjectMeta", "o"), 2: ("spec", "apps.StatefulSetSpec", "o"),
        3: ("status", "apps.StatefulSetStatus", "o"),
    },
    "apps.StatefulSetCondition": {
        1: ("type", "string", ""), 2: ("status", "string", ""), 3: ("lastTransitionTime", "Time", "o"),
        4: ("reason", "string", "o"), 5: ("message", "string", "o"),
    },
    "apps.StatefulSetOrdinals": {1: ("start", "int32", "")},
    "apps.StatefulSetPersistentVolumeClaimRetentionPolicy": {
        1: ("whenDeleted", "string", "o"), 2: ("whenScaled", "string", "o"),
    },
    "apps.StatefulSetSpec": {
        1: ("replicas", "int32", "po"), 2: ("selector", "meta.LabelSelector", "p"),
        3: ("template", "core.PodTemplateSpec", ""), 4: ("volumeClaimTemplates", "core.PersistentVolumeClaim", "ro"),
        5: ("serviceName", "string", ""), 6: ("podManagementPolicy", "string", "o"),
        7: ("updateStrategy", "apps.StatefulSetUpdateStrategy", "o"), 8: ("revisionHistoryLimit", "int32", "po"),
        9: ("minReadySeconds", "int32", "o"),
        10: ("persistentVolumeClaimRetentionPolicy", "apps.StatefulSetPersistentVolumeClaimRetentionPolicy", "po"),
        11: ("ordinals", "apps.StatefulSetOrdinals", "po"),
    },
    "apps.StatefulSetStatus": {
        1: ("observedGeneration", "int64", "o"), 2: ("replicas", "int32", ""), 3: ("readyReplicas", "int32", "o"),
        4: ("currentReplicas", "int32", "o"), 5: ("updatedReplicas", "int32", "o"),
        6: ("currentRevision", "string", "o"), 7: ("updateRevision", "string", "o"),
        9: ("collisionCount", "int32", "po"), 10: ("conditions", "apps.StatefulSetCondition", "ro"),
        11: ("availableReplicas", "int32", ""),
    },
    "apps.StatefulSetUpdateStrategy": {
        1: ("type", "string", "o"), 2: ("rollingUpdate", "apps.RollingUpdateStatefulSetStrategy", "po"),
    },
    "authentication.BoundObjectReference": {
        1: ("kind", "string", "o"), 2: ("apiVersion", "string", "o"), 3: ("name", "string", "o"),
        4: ("uid", "string", "o"),
    },
    # authentication/v1 and authorization/v1 reviews (types.go tags), request side only: status is the server's.
    "authentication.SelfSubjectReview": {1: ("metadata", "meta.ObjectMeta", "o")},
    "authorization.SelfSubjectAccessReview": {
        1: ("metadata", "meta.ObjectMeta", "o"), 2: ("spec", "authorization.SelfSubjectAccessReviewSpec", ""),
    },
    "authorization.SelfSubjectAccessReviewSpec": {
        1: ("resourceAttributes", "authorization.ResourceAttributes", "po"),
        2: ("nonResourceAttributes", "authorization.NonResourceAttributes", "po"),
    },
    "authorization.ResourceAttributes": {
        1: ("namespace", "string", "o"), 2: ("verb", "string", "o"), 3: ("group", "string", "o"),
        4: ("version", "string", "o"), 5: ("resource", "string", "o"), 6: ("subresource", "string", "o"),
        7: ("name", "string", "o"),
    },
    "authorization.NonResourceAttributes": {1: ("path", "string", "o"), 2: ("verb", "string", "o")},
    "authentication.TokenRequest": {
        1: ("metadata", "meta.ObjectMeta", "o"), 2: ("spec", "authentication.TokenRequestSpec", ""),
        3: ("status", "authentication.TokenRequestStatus", "o"),
    },
    "authentication.TokenRequestSpec": {
        1: ("audiences", "string", "r"), 4: ("expirationSeconds", "int64", "p"),
        3: ("boundObjectRef", "authentication.BoundObjectReference", "p"),
    },
    "authentication.TokenRequestStatus": {1: ("token", "string", ""), 2: ("expirationTimestamp", "Time", "")},
    "autoscaling.Scale": {
        1: ("metadata", "meta.ObjectMeta", "o"), 2: ("spec", "autoscaling.ScaleSpec", "o"),
        3: ("status", "autoscaling.ScaleStatus", "o"),
    },
    "autoscaling.ScaleSpec": {1: ("replicas", "int32", "o")},
    "autoscaling.ScaleStatus": {1: ("replicas", "int32", ""), 2: ("selector", "string", "o")},
    "batch.CronJob": {
        1: ("metadata", "meta.ObjectMeta", "o"), 2: ("spec", "batch.CronJobSpec", "o"),
        3: ("status", "batch.CronJobStatus", "o"),
    },
    "batch.CronJobSpec": {
        1: ("schedule", "string", ""), 8: ("timeZone", "string", "po"), 2: ("startingDeadlineSeconds", "int64", "po"),
        3: ("concurrencyPolicy", "string", "o"), 4: ("suspend", "bool", "po"),
        5: ("jobTemplate", "batch.JobTemplateSpec", ""), 6: ("successfulJobsHistoryLimit", "int32", "po"),
        7: ("failedJobsHistoryLimit", "int32", "po"),
    },
    "batch.CronJobStatus": {
        1: ("active", "core.ObjectReference", "ro"), 4: ("lastScheduleTime", "Time", "po"),
        5: ("lastSuccessfulTime", "Time", "po"),
    },
    "batch.Job": {
        1: ("metadata", "meta.ObjectMeta", "o"), 2: ("spec", "batch.JobSpec", "o"),
        3: ("status", "batch.JobStatus", "o"),
    },
    "batch.JobCondition": {
        1: ("type", "string", ""), 2: ("status", "string", ""), 3: ("lastProbeTime", "Time", "o"),
        4: ("lastTransitionTime", "Time", "o"), 5: ("reason", "string", "o"), 6: ("message", "string", "o"),
    },
    "batch.JobSpec": {
        1: ("parallelism", "int32", "po"), 2: ("completions", "int32", "po"),
        3: ("activeDeadlineSeconds", "int64", "po"), 11: ("podFailurePolicy", "batch.PodFailurePolicy", "po"),
        16: ("successPolicy", "batch.SuccessPolicy", "po"), 7: ("backoffLimit", "int32", "po"),
        12: ("backoffLimitPerIndex", "int32", "po"), 13: ("maxFailedIndexes", "int32", "po"),
        4: ("selector", "meta.LabelSelector", "po"), 5: ("manualSelector", "bool", "po"),
        6: ("template", "core.PodTemplateSpec", ""), 8: ("ttlSecondsAfterFinished", "int32", "po"),
        9: ("completionMode", "string", "po"), 10: ("suspend", "bool", "po"),
        14: ("podReplacementPolicy", "string", "po"), 15: ("managedBy", "string", "po"),
    },
    "batch.JobStatus": {
        1: ("conditions", "batch.JobCondition", "ro"), 2: ("startTime", "Time", "po"),
        3: ("completionTime", "Time", "po"), 4: ("active", "int32", "o"), 5: ("succeeded", "int32", "o"),
        6: ("failed", "int32", "o"), 11: ("terminating", "int32", "po"), 7: ("completedIndexes", "string", "o"),
        10: ("failedIndexes", "string", "po"), 8: ("uncountedTerminatedPods", "batch.UncountedTerminatedPods", "po"),
        9: ("ready", "int32", "po"),
    },
    "batch.JobTemplateSpec": {1: ("metadata", "meta.ObjectMeta", "o"), 2: ("spec", "batch.JobSpec", "o")},
    "batch.PodFailurePolicy": {1: ("rules", "batch.PodFailurePolicyRule", "r")},
    "batch.PodFailurePolicyOnExitCodesRequirement": {
        1: ("containerName", "string", "po"), 2: ("operator", "string", ""), 3: ("values", "int32", "r"),
    },
    "batch.PodFailurePolicyOnPodConditionsPattern": {1: ("type", "string", ""), 2: ("status", "string", "")},
    "batch.PodFailurePolicyRule": {
        1: ("action", "string", ""), 2: ("onExitCodes", "batch.PodFailurePolicyOnExitCodesRequirement", "po"),
        3: ("onPodConditions", "batch.PodFailurePolicyOnPodConditionsPattern", "ro"),
    },
    "batch.SuccessPolicy": {1: ("rules", "batch.SuccessPolicyRule", "r")},
    "batch.SuccessPolicyRule": {1: ("succeededIndexes", "string", "po"), 2: ("succeededCount", "int32", "po")},
    "batch.UncountedTerminatedPods": {1: ("succeeded", "string", "ro"), 2: ("failed", "string", "ro")},
    "coordination.Lease": {1: ("metadata", "meta.ObjectMeta", "o"), 2: ("spec", "coordination.LeaseSpec", "o")},
    "coordination.LeaseSpec": {
        1: ("holderIdentity", "string", "po"), 2: ("leaseDurationSeconds", "int32", "po"),
        3: ("acquireTime", "MicroTime", "po"), 4: ("renewTime", "MicroTime", "po"),
        5: ("leaseTransitions", "int32", "po"), 6: ("strategy", "string", "po"),
        7: ("preferredHolder", "string", "po"),
    },
    "core.AWSElasticBlockStoreVolumeSource": {
        1: ("volumeID", "string", ""), 2: ("fsType", "string", "o"), 3: ("partition", "int32", "o"),
        4: ("readOnly", "bool", "o"),
    },
    "core.Affinity": {
        1: ("nodeAffinity", "core.NodeAffinity", "po"), 2: ("podAffinity", "core.PodAffinity", "po"),
        3: ("podAntiAffinity", "core.PodAntiAffinity", "po"),
    },
    "core.AppArmorProfile": {1: ("type", "string", ""), 2: ("localhostProfile", "string", "po")},
    "core.AttachedVolume": {1: ("name", "string", ""), 2: ("devicePath", "string", "")},
    "core.AzureDiskVolumeSource": {
        1: ("diskName", "string", ""), 2: ("diskURI", "string", ""), 3: ("cachingMode", "string", "po"),
        4: ("fsType", "string", "po"), 5: ("readOnly", "bool", "po"), 6: ("kind", "string", "po"),
    },
    "core.AzureFileVolumeSource": {
        1: ("secretName", "string", ""), 2: ("shareName", "string", ""), 3: ("readOnly", "bool", "o"),
    },
    "core.Binding": {1: ("metadata", "meta.ObjectMeta", "o"), 2: ("target", "core.ObjectReference", "")},
    "core.CSIVolumeSource": {
        1: ("driver", "string", ""), 2: ("readOnly", "bool", "po"), 3: ("fsType", "string", "po"),
        4: ("volumeAttributes", "string", "mo"), 5: ("nodePublishSecretRef", "core.LocalObjectReference", "po"),
    },
    "core.Capabilities": {1: ("add", "string", "ro"), 2: ("drop", "string", "ro")},
    "core.CephFSVolumeSource": {
        1: ("monitors", "string", "r"), 2: ("path", "string", "o"), 3: ("user", "string", "o"),
        4: ("secretFile", "string", "o"), 5: ("secretRef", "core.LocalObjectReference", "po"),
        6: ("readOnly", "bool", "o"),
    },
    "core.CinderVolumeSource": {
        1: ("volumeID", "string", ""), 2: ("fsType", "string", "o"), 3: ("readOnly", "bool", "o"),
        4: ("secretRef", "core.LocalObjectReference", "po"),
    },
    "core.ClientIPConfig": {1: ("timeoutSeconds", "int32", "po")},
    "core.ClusterTrustBundleProjection": {
        1: ("name", "string", "po"), 2: ("signerName", "string", "po"),
        3: ("labelSelector", "meta.LabelSelector", "po"), 5: ("optional", "bool", "po"), 4: ("path", "string", ""),
    },
    "core.ConfigMap": {
        1: ("metadata", "meta.ObjectMeta", "o"), 4: ("immutable", "bool", "po"), 2: ("data", "string", "mo"),
        3: ("binaryData", "bytes", "mo"),
    },
    "core.ConfigMapEnvSource": {1: ("", "core.LocalObjectReference", "i"), 2: ("optional", "bool", "po")},
    "core.ConfigMapKeySelector": {
        1: ("", "core.LocalObjectReference", "i"), 2: ("key", "string", ""), 3: ("optional", "bool", "po"),
    },
    "core.ConfigMapNodeConfigSource": {
        1: ("namespace", "string", ""), 2: ("name", "string", ""), 3: ("uid", "string", "o"),
        4: ("resourceVersion", "string", "o"), 5: ("kubeletConfigKey", "string", ""),
    },
    "core.ConfigMapProjection": {
        1: ("", "core.LocalObjectReference", "i"), 2: ("items", "core.KeyToPath", "ro"),
        4: ("optional", "bool", "po"),
    },
    "core.ConfigMapVolumeSource": {
        1: ("", "core.LocalObjectReference", "i"), 2: ("items", "core.KeyToPath", "ro"),
        3: ("defaultMode", "int32", "po"), 4: ("optional", "bool", "po"),
    },
    "core.Container": {
        1: ("name", "string", ""), 2: ("image", "string", "o"), 3: ("command", "string", "ro"),
        4: ("args", "string", "ro"), 5: ("workingDir", "string", "o"), 6: ("ports", "core.ContainerPort", "ro"),
        19: ("envFrom", "core.EnvFromSource", "ro"), 7: ("env", "core.EnvVar", "ro"),
        8: ("resources", "core.ResourceRequirements", "o"), 23: ("resizePolicy", "core.ContainerResizePolicy", "ro"),
        24: ("restartPolicy", "string", "po"), 9: ("volumeMounts", "core.VolumeMount", "ro"),
        21: ("volumeDevices", "core.VolumeDevice", "ro"), 10: ("livenessProbe", "core.Probe", "po"),
        11: ("readinessProbe", "core.Probe", "po"), 22: ("startupProbe", "core.Probe", "po"),
        12: ("lifecycle", "core.Lifecycle", "po"), 13: ("terminationMessagePath", "string", "o"),
        20: ("terminationMessagePolicy", "string", "o"), 14: ("imagePullPolicy", "string", "o"),
        15: ("securityContext", "core.SecurityContext", "po"), 16: ("stdin", "bool", "o"),
        17: ("stdinOnce", "bool", "o"), 18: ("tty", "bool", "o"),
    },
    "core.ContainerImage": {1: ("names", "string", "r"), 2: ("sizeBytes", "int64", "o")},
    "core.ContainerPort": {
        1: ("name", "string", "o"), 2: ("hostPort", "int32", "o"), 3: ("containerPort", "int32", ""),
        4: ("protocol", "string", "o"), 5: ("hostIP", "string", "o"),
    },
    "core.ContainerResizePolicy": {1: ("resourceName", "string", ""), 2: ("restartPolicy", "string", "")},
    "core.ContainerState": {
        1: ("waiting", "core.ContainerStateWaiting", "po"), 2: ("running", "core.ContainerStateRunning", "po"),
        3: ("terminated", "core.ContainerStateTerminated", "po"),
    },
    "core.ContainerStateRunning": {1: ("startedAt", "Time", "o")},
    "core.ContainerStateTerminated": {
        1: ("exitCode", "int32", ""), 2: ("signal", "int32", "o"), 3: ("reason", "string", "o"),
        4: ("message", "string", "o"), 5: ("startedAt", "Time", "o"), 6: ("finishedAt", "Time", "o"),
        7: ("containerID", "string", "o"),
    },
    "core.ContainerStateWaiting": {1: ("reason", "string", "o"), 2: ("message", "string", "o")},
    "core.ContainerStatus": {
        1: ("name", "string", ""), 2: ("state", "core.ContainerState", "o"),
        3: ("lastState", "core.ContainerState", "o"), 4: ("ready", "bool", ""), 5: ("restartCount", "int32", ""),
        6: ("image", "string", ""), 7: ("imageID", "string", ""), 8: ("containerID", "string", "o"),
        9: ("started", "bool", "po"), 10: ("allocatedResources", "Quantity", "mo"),
        11: ("resources", "core.ResourceRequirements", "po"), 12: ("volumeMounts", "core.VolumeMountStatus", "ro"),
        13: ("user", "core.ContainerUser", "po"), 14: ("allocatedResourcesStatus", "core.ResourceStatus", "ro"),
    },
    "core.ContainerUser": {1: ("linux", "core.LinuxContainerUser", "po")},
    "core.DaemonEndpoint": {1: ("Port", "int32", "")},
    "core.DownwardAPIProjection": {1: ("items", "core.DownwardAPIVolumeFile", "ro")},
    "core.DownwardAPIVolumeFile": {
        1: ("path", "string", ""), 2: ("fieldRef", "core.ObjectFieldSelector", "po"),
        3: ("resourceFieldRef", "core.ResourceFieldSelector", "po"), 4: ("mode", "int32", "po"),
    },
    "core.DownwardAPIVolumeSource": {
        1: ("items", "core.DownwardAPIVolumeFile", "ro"), 2: ("defaultMode", "int32", "po"),
    },
    "core.EmptyDirVolumeSource": {1: ("medium", "string", "o"), 2: ("sizeLimit", "Quantity", "po")},
    "core.EndpointAddress": {
        1: ("ip", "string", ""), 3: ("hostname", "string", "o"), 4: ("nodeName", "string", "po"),
        2: ("targetRef", "core.ObjectReference", "po"),
    },
    "core.EndpointPort": {
        1: ("name", "string", "o"), 2: ("port", "int32", ""), 3: ("protocol", "string", "o"),
        4: ("appProtocol", "string", "po"),
    },
    "core.EndpointSubset": {
        1: ("addresses", "core.EndpointAddress", "ro"), 2: ("notReadyAddresses", "core.EndpointAddress", "ro"),
        3: ("ports", "core.EndpointPort", "ro"),
    },
    "core.Endpoints": {1: ("metadata", "meta.ObjectMeta", "o"), 2: ("subsets", "core.EndpointSubset", "ro")},
    "core.EnvFromSource": {
        1: ("prefix", "string", "o"), 2: ("configMapRef", "core.ConfigMapEnvSource", "po"),
        3: ("secretRef", "core.SecretEnvSource", "po"),
    },
    "core.EnvVar": {
        1: ("name", "string", ""), 2: ("value", "string", "o"), 3: ("valueFrom", "core.EnvVarSource", "po"),
    },
    "core.EnvVarSource": {
        1: ("fieldRef", "core.ObjectFieldSelector", "po"),
        2: ("resourceFieldRef", "core.ResourceFieldSelector", "po"),
        3: ("configMapKeyRef", "core.ConfigMapKeySelector", "po"),
        4: ("secretKeyRef", "core.SecretKeySelector", "po"),
    },
    "core.EphemeralContainer": {
        1: ("", "core.EphemeralContainerCommon", "i"), 2: ("targetContainerName", "string", "o"),
    },
    "core.EphemeralContainerCommon": {
        1: ("name", "string", ""), 2: ("image", "string", "o"), 3: ("command", "string", "ro"),
        4: ("args", "string", "ro"), 5: ("workingDir", "string", "o"), 6: ("ports", "core.ContainerPort", "ro"),
        19: ("envFrom", "core.EnvFromSource", "ro"), 7: ("env", "core.EnvVar", "ro"),
        8: ("resources", "core.ResourceRequirements", "o"), 23: ("resizePolicy", "core.ContainerResizePolicy", "ro"),
        24: ("restartPolicy", "string", "po"), 9: ("volumeMounts", "core.VolumeMount", "ro"),
        21: ("volumeDevices", "core.VolumeDevice", "ro"), 10: ("livenessProbe", "core.Probe", "po"),
        11: ("readinessProbe", "core.Probe", "po"), 22: ("startupProbe", "core.Probe", "po"),
        12: ("lifecycle", "core.Lifecycle", "po"), 13: ("terminationMessagePath", "string", "o"),
        20: ("terminationMessagePolicy", "string", "o"), 14: ("imagePullPolicy", "string", "o"),
        15: ("securityContext", "core.SecurityContext", "po"), 16: ("stdin", "bool", "o"),
        17: ("stdinOnce", "bool", "o"), 18: ("tty", "bool", "o"),
    },
    "core.EphemeralVolumeSource": {1: ("volumeClaimTemplate", "core.PersistentVolumeClaimTemplate", "po")},
    "core.Event": {
        1: ("metadata", "meta.ObjectMeta", ""), 2: ("involvedObject", "core.ObjectReference", ""),
        3: ("reason", "string", "o"), 4: ("message", "string", "o"), 5: ("source", "core.EventSource", "o"),
        6: ("firstTimestamp", "Time", "o"), 7: ("lastTimestamp", "Time", "o"), 8: ("count", "int32", "o"),
        9: ("type", "string", "o"), 10: ("eventTime", "MicroTime", "o"), 11: ("series", "core.EventSeries", "po"),
        12: ("action", "string", "o"), 13: ("related", "core.ObjectReference", "po"),
        14: ("reportingComponent", "string", ""), 15: ("reportingInstance", "string", ""),
    },
    "core.EventSeries": {1: ("count", "int32", "o"), 2: ("lastObservedTime", "MicroTime", "o")},
    "core.EventSource": {1: ("component", "string", "o"), 2: ("host", "string", "o")},
    "core.ExecAction": {1: ("command", "string", "ro")},
    "core.FCVolumeSource": {
        1: ("targetWWNs", "string", "ro"), 2: ("lun", "int32", "po"), 3: ("fsType", "string", "o"),
        4: ("readOnly", "bool", "o"), 5: ("wwids", "string", "ro"),
    },
    "core.FlexVolumeSource": {
        1: ("driver", "string", ""), 2: ("fsType", "string", "o"),
        3: ("secretRef", "core.LocalObjectReference", "po"), 4: ("readOnly", "bool", "o"),
        5: ("options", "string", "mo"),
    },
    "core.FlockerVolumeSource": {1: ("datasetName", "string", "o"), 2: ("datasetUUID", "string", "o")},
    "core.GCEPersistentDiskVolumeSource": {
        1: ("pdName", "string", ""), 2: ("fsType", "string", "o"), 3: ("partition", "int32", "o"),
        4: ("readOnly", "bool", "o"),
    },
    "core.GRPCAction": {1: ("port", "int32", ""), 2: ("service", "string", "p")},
    "core.GitRepoVolumeSource": {
        1: ("repository", "string", ""), 2: ("revision", "string", "o"), 3: ("directory", "string", "o"),
    },
    "core.GlusterfsVolumeSource": {
        1: ("endpoints", "string", ""), 2: ("path", "string", ""), 3: ("readOnly", "bool", "o"),
    },
    "core.HTTPGetAction": {
        1: ("path", "string", "o"), 2: ("port", "IntOrString", ""), 3: ("host", "string", "o"),
        4: ("scheme", "string", "o"), 5: ("httpHeaders", "core.HTTPHeader", "ro"),
    },
    "core.HTTPHeader": {1: ("name", "string", ""), 2: ("value", "string", "")},
    "core.HostAlias": {1: ("ip", "string", ""), 2: ("hostnames", "string", "ro")},
    "core.HostIP": {1: ("ip", "string", "")},
    "core.HostPathVolumeSource": {1: ("path", "string", ""), 2: ("type", "string", "po")},
    "core.ISCSIVolumeSource": {
        1: ("targetPortal", "string", ""), 2: ("iqn", "string", ""), 3: ("lun", "int32", ""),
        4: ("iscsiInterface", "string", "o"), 5: ("fsType", "string", "o"), 6: ("readOnly", "bool", "o"),
        7: ("portals", "string", "ro"), 8: ("chapAuthDiscovery", "bool", "o"), 11: ("chapAuthSession", "bool", "o"),
        10: ("secretRef", "core.LocalObjectReference", "po"), 12: ("initiatorName", "string", "po"),
    },
    "core.ImageVolumeSource": {1: ("reference", "string", "o"), 2: ("pullPolicy", "string", "o")},
    "core.KeyToPath": {1: ("key", "string", ""), 2: ("path", "string", ""), 3: ("mode", "int32", "po")},
    "core.Lifecycle": {1: ("postStart", "core.LifecycleHandler", "po"), 2: ("preStop", "core.LifecycleHandler", "po")},
    "core.LifecycleHandler": {
        1: ("exec", "core.ExecAction", "po"), 2: ("httpGet", "core.HTTPGetAction", "po"),
        3: ("tcpSocket", "core.TCPSocketAction", "po"), 4: ("sleep", "core.SleepAction", "po"),
    },
    "core.LinuxContainerUser": {
        1: ("uid", "int64", ""), 2: ("gid", "int64", ""), 3: ("supplementalGroups", "int64", "ro"),
    },
    "core.LoadBalancerIngress": {
        1: ("ip", "string", "o"), 2: ("hostname", "string", "o"), 3: ("ipMode", "string", "po"),
        4: ("ports", "core.PortStatus", "ro"),
    },
    "core.LoadBalancerStatus": {1: ("ingress", "core.LoadBalancerIngress", "ro")},
    "core.LocalObjectReference": {1: ("name", "string", "o")},
    "core.ModifyVolumeStatus": {1: ("targetVolumeAttributesClassName", "string", "o"), 2: ("status", "string", "")},
    "core.NFSVolumeSource": {1: ("server", "string", ""), 2: ("path", "string", ""), 3: ("readOnly", "bool", "o")},
    "core.Namespace": {
        1: ("metadata", "meta.ObjectMeta", "o"), 2: ("spec", "core.NamespaceSpec", "o"),
        3: ("status", "core.NamespaceStatus", "o"),
    },
    "core.NamespaceCondition": {
        1: ("type", "string", ""), 2: ("status", "string", ""), 4: ("lastTransitionTime", "Time", "o"),
        5: ("reason", "string", "o"), 6: ("message", "string", "o"),
    },
    "core.NamespaceSpec": {1: ("finalizers", "string", "ro")},
    "core.NamespaceStatus": {1: ("phase", "string", "o"), 2: ("conditions", "core.NamespaceCondition", "ro")},
    "core.Node": {
        1: ("metadata", "meta.ObjectMeta", "o"), 2: ("spec", "core.NodeSpec", "o"),
        3: ("status", "core.NodeStatus", "o"),
    },
    "core.NodeAddress": {1: ("type", "string", ""), 2: ("address", "string", "")},
    "core.NodeAffinity": {
        1: ("requiredDuringSchedulingIgnoredDuringExecution", "core.NodeSelector", "po"),
        2: ("preferredDuringSchedulingIgnoredDuringExecution", "core.PreferredSchedulingTerm", "ro"),
    },
    "core.NodeCondition": {
        1: ("type", "string", ""), 2: ("status", "string", ""), 3: ("lastHeartbeatTime", "Time", "o"),
        4: ("lastTransitionTime", "Time", "o"), 5: ("reason", "string", "o"), 6: ("message", "string", "o"),
    },
    "core.NodeConfigSource": {2: ("configMap", "core.ConfigMapNodeConfigSource", "po")},
    "core.NodeConfigStatus": {
        1: ("assigned", "core.NodeConfigSource", "po"), 2: ("active", "core.NodeConfigSource", "po"),
        3: ("lastKnownGood", "core.NodeConfigSource", "po"), 4: ("error", "string", "o"),
    },
    "core.NodeDaemonEndpoints": {1: ("kubeletEndpoint", "core.DaemonEndpoint", "o")},
    "core.NodeFeatures": {1: ("supplementalGroupsPolicy", "bool", "po")},
    "core.NodeRuntimeHandler": {1: ("name", "string", ""), 2: ("features", "core.NodeRuntimeHandlerFeatures", "po")},
    "core.NodeRuntimeHandlerFeatures": {
        1: ("recursiveReadOnlyMounts", "bool", "po"), 2: ("userNamespaces", "bool", "po"),
    },
    "core.NodeSelector": {1: ("nodeSelectorTerms", "core.NodeSelectorTerm", "r")},
    "core.NodeSelectorRequirement": {
        1: ("key", "string", ""), 2: ("operator", "string", ""), 3: ("values", "string", "ro"),
    },
    "core.NodeSelectorTerm": {
        1: ("matchExpressions", "core.NodeSelectorRequirement", "ro"),
        2: ("matchFields", "core.NodeSelectorRequirement", "ro"),
    },
    "core.NodeSpec": {
        1: ("podCIDR", "string", "o"), 7: ("podCIDRs", "string", "ro"), 3: ("providerID", "string", "o"),
        4: ("unschedulable", "bool", "o"), 5: ("taints", "core.Taint", "ro"),
        6: ("configSource", "core.NodeConfigSource", "po"), 2: ("externalID", "string", "o"),
    },
    "core.NodeStatus": {
        1: ("capacity", "Quantity", "mo"), 2: ("allocatable", "Quantity", "mo"), 3: ("phase", "string", "o"),
        4: ("conditions", "core.NodeCondition", "ro"), 5: ("addresses", "core.NodeAddress", "ro"),
        6: ("daemonEndpoints", "core.NodeDaemonEndpoints", "o"), 7: ("nodeInfo", "core.NodeSystemInfo", "o"),
        8: ("images", "core.ContainerImage", "ro"), 9: ("volumesInUse", "string", "ro"),
        10: ("volumesAttached", "core.AttachedVolume", "ro"), 11: ("config", "core.NodeConfigStatus", "po"),
        12: ("runtimeHandlers", "core.NodeRuntimeHandler", "ro"), 13: ("features", "core.NodeFeatures", "po"),
    },
    "core.NodeSystemInfo": {
        1: ("machineID", "string", ""), 2: ("systemUUID", "string", ""), 3: ("bootID", "string", ""),
        4: ("kernelVersion", "string", ""), 5: ("osImage", "string", ""),
        6: ("containerRuntimeVersion", "string", ""), 7: ("kubeletVersion", "string", ""),
        8: ("kubeProxyVersion", "string", ""), 9: ("operatingSystem", "string", ""),
        10: ("architecture", "string", ""),
    },
    "core.ObjectFieldSelector": {1: ("apiVersion", "string", "o"), 2: ("fieldPath", "string", "")},
    "core.ObjectReference": {
        1: ("kind", "string", "o"), 2: ("namespace", "string", "o"), 3: ("name", "string", "o"),
        4: ("uid", "string", "o"), 5: ("apiVersion", "string", "o"), 6: ("resourceVersion", "string", "o"),
        7: ("fieldPath", "string", "o"),
    },
    "core.PersistentVolumeClaim": {
        1: ("metadata", "meta.ObjectMeta", "o"), 2: ("spec", "core.PersistentVolumeClaimSpec", "o"),
        3: ("status", "core.PersistentVolumeClaimStatus", "o"),
    },
    "core.PersistentVolumeClaimCondition": {
        1: ("type", "string", ""), 2: ("status", "string", ""), 3: ("lastProbeTime", "Time", "o"),
        4: ("lastTransitionTime", "Time", "o"), 5: ("reason", "string", "o"), 6: ("message", "string", "o"),
    },
    "core.PersistentVolumeClaimSpec": {
        1: ("accessModes", "string", "ro"), 4: ("selector", "meta.LabelSelector", "po"),
        2: ("resources", "core.VolumeResourceRequirements", "o"), 3: ("volumeName", "string", "o"),
        5: ("storageClassName", "string", "po"), 6: ("volumeMode", "string", "po"),
        7: ("dataSource", "core.TypedLocalObjectReference", "po"),
        8: ("dataSourceRef", "core.TypedObjectReference", "po"), 9: ("volumeAttributesClassName", "string", "po"),
    },
    "core.PersistentVolumeClaimStatus": {
        1: ("phase", "string", "o"), 2: ("accessModes", "string", "ro"), 3: ("capacity", "Quantity", "mo"),
        4: ("conditions", "core.PersistentVolumeClaimCondition", "ro"), 5: ("allocatedResources", "Quantity", "mo"),
        7: ("allocatedResourceStatuses", "string", "mo"), 8: ("currentVolumeAttributesClassName", "string", "po"),
        9: ("modifyVolumeStatus", "core.ModifyVolumeStatus", "po"),
    },
    "core.PersistentVolumeClaimTemplate": {
        1: ("metadata", "meta.ObjectMeta", "o"), 2: ("spec", "core.PersistentVolumeClaimSpec", ""),
    },
    "core.PersistentVolumeClaimVolumeSource": {1: ("claimName", "string", ""), 2: ("readOnly", "bool", "o")},
    "core.PhotonPersistentDiskVolumeSource": {1: ("pdID", "string", ""), 2: ("fsType", "string", "o")},
    "core.Pod": {
        1: ("metadata", "meta.ObjectMeta", "o"), 2: ("spec", "core.PodSpec", "o"),
        3: ("status", "core.PodStatus", "o"),
    },
    "core.PodAffinity": {
        1: ("requiredDuringSchedulingIgnoredDuringExecution", "core.PodAffinityTerm", "ro"),
        2: ("preferredDuringSchedulingIgnoredDuringExecution", "core.WeightedPodAffinityTerm", "ro"),
    },
    "core.PodAffinityTerm": {
        1: ("labelSelector", "meta.LabelSelector", "po"), 2: ("namespaces", "string", "ro"),
        3: ("topologyKey", "string", ""), 4: ("namespaceSelector", "meta.LabelSelector", "po"),
        5: ("matchLabelKeys", "string", "ro"), 6: ("mismatchLabelKeys", "string", "ro"),
    },
    "core.PodAntiAffinity": {
        1: ("requiredDuringSchedulingIgnoredDuringExecution", "core.PodAffinityTerm", "ro"),
        2: ("preferredDuringSchedulingIgnoredDuringExecution", "core.WeightedPodAffinityTerm", "ro"),
    },
    "core.PodCondition": {
        1: ("type", "string", ""), 2: ("status", "string", ""), 3: ("lastProbeTime", "Time", "o"),
        4: ("lastTransitionTime", "Time", "o"), 5: ("reason", "string", "o"), 6: ("message", "string", "o"),
    },
    "core.PodDNSConfig": {
        1: ("nameservers", "string", "ro"), 2: ("searches", "string", "ro"),
        3: ("options", "core.PodDNSConfigOption", "ro"),
    },
    "core.PodDNSConfigOption": {1: ("name", "string", "o"), 2: ("value", "string", "po")},
    "core.PodIP": {1: ("ip", "string", "")},
    "core.PodOS": {1: ("name", "string", "")},
    "core.PodReadinessGate": {1: ("conditionType", "string", "")},
    "core.PodResourceClaim": {
        1: ("name", "string", ""), 3: ("resourceClaimName", "string", "po"),
        4: ("resourceClaimTemplateName", "string", "po"),
    },
    "core.PodResourceClaimStatus": {1: ("name", "string", ""), 2: ("resourceClaimName", "string", "po")},
    "core.PodSchedulingGate": {1: ("name", "string", "")},
    "core.PodSecurityContext": {
        1: ("seLinuxOptions", "core.SELinuxOptions", "po"),
        8: ("windowsOptions", "core.WindowsSecurityContextOptions", "po"), 2: ("runAsUser", "int64", "po"),
        6: ("runAsGroup", "int64", "po"), 3: ("runAsNonRoot", "bool", "po"), 4: ("supplementalGroups", "int64", "ro"),
        12: ("supplementalGroupsPolicy", "string", "po"), 5: ("fsGroup", "int64", "po"),
        7: ("sysctls", "core.Sysctl", "ro"), 9: ("fsGroupChangePolicy", "string", "po"),
        10: ("seccompProfile", "core.SeccompProfile", "po"), 11: ("appArmorProfile", "core.AppArmorProfile", "po"),
        13: ("seLinuxChangePolicy", "string", "po"),
    },
    "core.PodSpec": {
        1: ("volumes", "core.Volume", "ro"), 20: ("initContainers", "core.Container", "ro"),
        2: ("containers", "core.Container", "r"), 34: ("ephemeralContainers", "core.EphemeralContainer", "ro"),
        3: ("restartPolicy", "string", "o"), 4: ("terminationGracePeriodSeconds", "int64", "po"),
        5: ("activeDeadlineSeconds", "int64", "po"), 6: ("dnsPolicy", "string", "o"),
        7: ("nodeSelector", "string", "mo"), 8: ("serviceAccountName", "string", "o"),
        9: ("serviceAccount", "string", "o"), 21: ("automountServiceAccountToken", "bool", "po"),
        10: ("nodeName", "string", "o"), 11: ("hostNetwork", "bool", "o"), 12: ("hostPID", "bool", "o"),
        13: ("hostIPC", "bool", "o"), 27: ("shareProcessNamespace", "bool", "po"),
        14: ("securityContext", "core.PodSecurityContext", "po"),
        15: ("imagePullSecrets", "core.LocalObjectReference", "ro"), 16: ("hostname", "string", "o"),
        17: ("subdomain", "string", "o"), 18: ("affinity", "core.Affinity", "po"),
        19: ("schedulerName", "string", "o"), 22: ("tolerations", "core.Toleration", "ro"),
        23: ("hostAliases", "core.HostAlias", "ro"), 24: ("priorityClassName", "string", "o"),
        25: ("priority", "int32", "po"), 26: ("dnsConfig", "core.PodDNSConfig", "po"),
        28: ("readinessGates", "core.PodReadinessGate", "ro"), 29: ("runtimeClassName", "string", "po"),
        30: ("enableServiceLinks", "bool", "po"), 31: ("preemptionPolicy", "string", "po"),
        32: ("overhead", "Quantity", "mo"), 33: ("topologySpreadConstraints", "core.TopologySpreadConstraint", "ro"),
        35: ("setHostnameAsFQDN", "bool", "po"), 36: ("os", "core.PodOS", "po"), 37: ("hostUsers", "bool", "po"),
        38: ("schedulingGates", "core.PodSchedulingGate", "ro"),
        39: ("resourceClaims", "core.PodResourceClaim", "ro"), 40: ("resources", "core.ResourceRequirements", "po"),
    },
    "core.PodStatus": {
        1: ("phase", "string", "o"), 2: ("conditions", "core.PodCondition", "ro"), 3: ("message", "string", "o"),
        4: ("reason", "string", "o"), 11: ("nominatedNodeName", "string", "o"), 5: ("hostIP", "string", "o"),
        16: ("hostIPs", "core.HostIP", "ro"), 6: ("podIP", "string", "o"), 12: ("podIPs", "core.PodIP", "ro"),
        7: ("startTime", "Time", "po"), 10: ("initContainerStatuses", "core.ContainerStatus", "ro"),
        8: ("containerStatuses", "core.ContainerStatus", "ro"), 9: ("qosClass", "string", "o"),
        13: ("ephemeralContainerStatuses", "core.ContainerStatus", "ro"), 14: ("resize", "string", "o"),
        15: ("resourceClaimStatuses", "core.PodResourceClaimStatus", "ro"),
    },
    "core.PodTemplateSpec": {1: ("metadata", "meta.ObjectMeta", "o"), 2: ("spec", "core.PodSpec", "o")},
    "core.PortStatus": {1: ("port", "int32", ""), 2: ("protocol", "string", ""), 3: ("error", "string", "po")},
    "core.PortworxVolumeSource": {
        1: ("volumeID", "string", ""), 2: ("fsType", "string", "o"), 3: ("readOnly", "bool", "o"),
    },
    "core.PreferredSchedulingTerm": {1: ("weight", "int32", ""), 2: ("preference", "core.NodeSelectorTerm", "")},
    "core.Probe": {
        1: ("", "core.ProbeHandler", "i"), 2: ("initialDelaySeconds", "int32", "o"),
        3: ("timeoutSeconds", "int32", "o"), 4: ("periodSeconds", "int32", "o"),
        5: ("successThreshold", "int32", "o"), 6: ("failureThreshold", "int32", "o"),
        7: ("terminationGracePeriodSeconds", "int64", "po"),
    },
    "core.ProbeHandler": {
        1: ("exec", "core.ExecAction", "po"), 2: ("httpGet", "core.HTTPGetAction", "po"),
        3: ("tcpSocket", "core.TCPSocketAction", "po"), 4: ("grpc", "core.GRPCAction", "po"),
    },
    "core.ProjectedVolumeSource": {1: ("sources", "core.VolumeProjection", "r"), 2: ("defaultMode", "int32", "po")},
    "core.QuobyteVolumeSource": {
        1: ("registry", "string", ""), 2: ("volume", "string", ""), 3: ("readOnly", "bool", "o"),
        4: ("user", "string", "o"), 5: ("group", "string", "o"), 6: ("tenant", "string", "o"),
    },
    "core.RBDVolumeSource": {
        1: ("monitors", "string", "r"), 2: ("image", "string", ""), 3: ("fsType", "string", "o"),
        4: ("pool", "string", "o"), 5: ("user", "string", "o"), 6: ("keyring", "string", "o"),
        7: ("secretRef", "core.LocalObjectReference", "po"), 8: ("readOnly", "bool", "o"),
    },
    "core.ResourceClaim": {1: ("name", "string", ""), 2: ("request", "string", "o")},
    "core.ResourceFieldSelector": {
        1: ("containerName", "string", "o"), 2: ("resource", "string", ""), 3: ("divisor", "Quantity", "o"),
    },
    "core.ResourceHealth": {1: ("resourceID", "string", ""), 2: ("health", "string", "o")},
    "core.ResourceRequirements": {
        1: ("limits", "Quantity", "mo"), 2: ("requests", "Quantity", "mo"), 3: ("claims", "core.ResourceClaim", "ro"),
    },
    "core.ResourceStatus": {1: ("name", "string", ""), 2: ("resources", "core.ResourceHealth", "ro")},
    "core.SELinuxOptions": {
        1: ("user", "string", "o"), 2: ("role", "string", "o"), 3: ("type", "string", "o"),
        4: ("level", "string", "o"),
    },
    "core.ScaleIOVolumeSource": {
        1: ("gateway", "string", ""), 2: ("system", "string", ""), 3: ("secretRef", "core.LocalObjectReference", "p"),
        4: ("sslEnabled", "bool", "o"), 5: ("protectionDomain", "string", "o"), 6: ("storagePool", "string", "o"),
        7: ("storageMode", "string", "o"), 8: ("volumeName", "string", "o"), 9: ("fsType", "string", "o"),
        10: ("readOnly", "bool", "o"),
    },
    "core.SeccompProfile": {1: ("type", "string", ""), 2: ("localhostProfile", "string", "po")},
    "core.Secret": {
        1: ("metadata", "meta.ObjectMeta", "o"), 5: ("immutable", "bool", "po"), 2: ("data", "bytes", "mo"),
        4: ("stringData", "string", "mo"), 3: ("type", "string", "o"),
    },
    "core.SecretEnvSource": {1: ("", "core.LocalObjectReference", "i"), 2: ("optional", "bool", "po")},
    "core.SecretKeySelector": {
        1: ("", "core.LocalObjectReference", "i"), 2: ("key", "string", ""), 3: ("optional", "bool", "po"),
    },
    "core.SecretProjection": {
        1: ("", "core.LocalObjectReference", "i"), 2: ("items", "core.KeyToPath", "ro"),
        4: ("optional", "bool", "po"),
    },
    "core.SecretVolumeSource": {
        1: ("secretName", "string", "o"), 2: ("items", "core.KeyToPath", "ro"), 3: ("defaultMode", "int32", "po"),
        4: ("optional", "bool", "po"),
    },
    "core.SecurityContext": {
        1: ("capabilities", "core.Capabilities", "po"), 2: ("privileged", "bool", "po"),
        3: ("seLinuxOptions", "core.SELinuxOptions", "po"),
        10: ("windowsOptions", "core.WindowsSecurityContextOptions", "po"), 4: ("runAsUser", "int64", "po"),
        8: ("runAsGroup", "int64", "po"), 5: ("runAsNonRoot", "bool", "po"),
        6: ("readOnlyRootFilesystem", "bool", "po"), 7: ("allowPrivilegeEscalation", "bool", "po"),
        9: ("procMount", "string", "po"), 11: ("seccompProfile", "core.SeccompProfile", "po"),
        12: ("appArmorProfile", "core.AppArmorProfile", "po"),
    },
    "core.Service": {
        1: ("metadata", "meta.ObjectMeta", "o"), 2: ("spec", "core.ServiceSpec", "o"),
        3: ("status", "core.ServiceStatus", "o"),
    },
    "core.ServiceAccount": {
        1: ("metadata", "meta.ObjectMeta", "o"), 2: ("secrets", "core.ObjectReference", "ro"),
        3: ("imagePullSecrets", "core.LocalObjectReference", "ro"), 4: ("automountServiceAccountToken", "bool", "po"),
    },
    "core.ServiceAccountTokenProjection": {
        1: ("audience", "string", "o"), 2: ("expirationSeconds", "int64", "po"), 3: ("path", "string", ""),
    },
    "core.ServicePort": {
        1: ("name", "string", "o"), 2: ("protocol", "string", "o"), 6: ("appProtocol", "string", "po"),
        3: ("port", "int32", ""), 4: ("targetPort", "IntOrString", "o"), 5: ("nodePort", "int32", "o"),
    },
    "core.ServiceSpec": {
        1: ("ports", "core.ServicePort", "ro"), 2: ("selector", "string", "mo"), 3: ("clusterIP", "string", "o"),
        18: ("clusterIPs", "string", "ro"), 4: ("type", "string", "o"), 5: ("externalIPs", "string", "ro"),
        7: ("sessionAffinity", "string", "o"), 8: ("loadBalancerIP", "string", "o"),
        9: ("loadBalancerSourceRanges", "string", "ro"), 10: ("externalName", "string", "o"),
        11: ("externalTrafficPolicy", "string", "o"), 12: ("healthCheckNodePort", "int32", "o"),
        13: ("publishNotReadyAddresses", "bool", "o"),
        14: ("sessionAffinityConfig", "core.SessionAffinityConfig", "po"), 19: ("ipFamilies", "string", "ro"),
        17: ("ipFamilyPolicy", "string", "po"), 20: ("allocateLoadBalancerNodePorts", "bool", "po"),
        21: ("loadBalancerClass", "string", "po"), 22: ("internalTrafficPolicy", "string", "po"),
        23: ("trafficDistribution", "string", "po"),
    },
    "core.ServiceStatus": {
        1: ("loadBalancer", "core.LoadBalancerStatus", "o"), 2: ("conditions", "meta.Condition", "ro"),
    },
    "core.SessionAffinityConfig": {1: ("clientIP", "core.ClientIPConfig", "po")},
    "core.SleepAction": {1: ("seconds", "int64", "")},
    "core.StorageOSVolumeSource": {
        1: ("volumeName", "string", "o"), 2: ("volumeNamespace", "string", "o"), 3: ("fsType", "string", "o"),
        4: ("readOnly", "bool", "o"), 5: ("secretRef", "core.LocalObjectReference", "po"),
    },
    "core.Sysctl": {1: ("name", "string", ""), 2: ("value", "string", "")},
    "core.TCPSocketAction": {1: ("port", "IntOrString", ""), 2: ("host", "string", "o")},
    "core.Taint": {
        1: ("key", "string", ""), 2: ("value", "string", "o"), 3: ("effect", "string", ""),
        4: ("timeAdded", "Time", "po"),
    },
    "core.Toleration": {
        1: ("key", "string", "o"), 2: ("operator", "string", "o"), 3: ("value", "string", "o"),
        4: ("effect", "string", "o"), 5: ("tolerationSeconds", "int64", "po"),
    },
    "core.TopologySpreadConstraint": {
        1: ("maxSkew", "int32", ""), 2: ("topologyKey", "string", ""), 3: ("whenUnsatisfiable", "string", ""),
        4: ("labelSelector", "meta.LabelSelector", "po"), 5: ("minDomains", "int32", "po"),
        6: ("nodeAffinityPolicy", "string", "po"), 7: ("nodeTaintsPolicy", "string", "po"),
        8: ("matchLabelKeys", "string", "ro"),
    },
    "core.TypedLocalObjectReference": {
        1: ("apiGroup", "string", "p"), 2: ("kind", "string", ""), 3: ("name", "string", ""),
    },
    "core.TypedObjectReference": {
        1: ("apiGroup", "string", "p"), 2: ("kind", "string", ""), 3: ("name", "string", ""),
        4: ("namespace", "string", "po"),
    },
    "core.Volume": {1: ("name", "string", ""), 2: ("", "core.VolumeSource", "i")},
    "core.VolumeDevice": {1: ("name", "string", ""), 2: ("devicePath", "string", "")},
    "core.VolumeMount": {
        1: ("name", "string", ""), 2: ("readOnly", "bool", "o"), 7: ("recursiveReadOnly", "string", "po"),
        3: ("mountPath", "string", ""), 4: ("subPath", "string", "o"), 5: ("mountPropagation", "string", "po"),
        6: ("subPathExpr", "string", "o"),
    },
    "core.VolumeMountStatus": {
        1: ("name", "string", ""), 2: ("mountPath", "string", ""), 3: ("readOnly", "bool", "o"),
        4: ("recursiveReadOnly", "string", "po"),
    },
    "core.VolumeProjection": {
        1: ("secret", "core.SecretProjection", "po"), 2: ("downwardAPI", "core.DownwardAPIProjection", "po"),
        3: ("configMap", "core.ConfigMapProjection", "po"),
        4: ("serviceAccountToken", "core.ServiceAccountTokenProjection", "po"),
        5: ("clusterTrustBundle", "core.ClusterTrustBundleProjection", "po"),
    },
    "core.VolumeResourceRequirements": {1: ("limits", "Quantity", "mo"), 2: ("requests", "Quantity", "mo")},
    "core.VolumeSource": {
        1: ("hostPath", "core.HostPathVolumeSource", "po"), 2: ("emptyDir", "core.EmptyDirVolumeSource", "po"),
        3: ("gcePersistentDisk", "core.GCEPersistentDiskVolumeSource", "po"),
        4: ("awsElasticBlockStore", "core.AWSElasticBlockStoreVolumeSource", "po"),
        5: ("gitRepo", "core.GitRepoVolumeSource", "po"), 6: ("secret", "core.SecretVolumeSource", "po"),
        7: ("nfs", "core.NFSVolumeSource", "po"), 8: ("iscsi", "core.ISCSIVolumeSource", "po"),
        9: ("glusterfs", "core.GlusterfsVolumeSource", "po"),
        10: ("persistentVolumeClaim", "core.PersistentVolumeClaimVolumeSource", "po"),
        11: ("rbd", "core.RBDVolumeSource", "po"), 12: ("flexVolume", "core.FlexVolumeSource", "po"),
        13: ("cinder", "core.CinderVolumeSource", "po"), 14: ("cephfs", "core.CephFSVolumeSource", "po"),
        15: ("flocker", "core.FlockerVolumeSource", "po"), 16: ("downwardAPI", "core.DownwardAPIVolumeSource", "po"),
        17: ("fc", "core.FCVolumeSource", "po"), 18: ("azureFile", "core.AzureFileVolumeSource", "po"),
        19: ("configMap", "core.ConfigMapVolumeSource", "po"),
        20: ("vsphereVolume", "core.VsphereVirtualDiskVolumeSource", "po"),
        21: ("quobyte", "core.QuobyteVolumeSource", "po"), 22: ("azureDisk", "core.AzureDiskVolumeSource", "po"),
        23: ("photonPersistentDisk", "core.PhotonPersistentDiskVolumeSource", "po"),
        26: ("projected", "core.ProjectedVolumeSource", "po"),
        24: ("portworxVolume", "core.PortworxVolumeSource", "po"), 25: ("scaleIO", "core.ScaleIOVolumeSource", "po"),
        27: ("storageos", "core.StorageOSVolumeSource", "po"), 28: ("csi", "core.CSIVolumeSource", "po"),
        29: ("ephemeral", "core.EphemeralVolumeSource", "po"), 30: ("image", "core.ImageVolumeSource", "po"),
    },
    "core.VsphereVirtualDiskVolumeSource": {
        1: ("volumePath", "string", ""), 2: ("fsType", "string", "o"), 3: ("storagePolicyName", "string", "o"),
        4: ("storagePolicyID", "string", "o"),
    },
    "core.WeightedPodAffinityTerm": {1: ("weight", "int32", ""), 2: ("podAffinityTerm", "core.PodAffinityTerm", "")},
    "core.WindowsSecurityContextOptions": {
        1: ("gmsaCredentialSpecName", "string", "po"), 2: ("gmsaCredentialSpec", "string", "po"),
        3: ("runAsUserName", "string", "po"), 4: ("hostProcess", "bool", "po"),
    },
    "discovery.Endpoint": {
        1: ("addresses", "string", "r"), 2: ("conditions", "discovery.EndpointConditions", "o"),
        3: ("hostname", "string", "po"), 4: ("targetRef", "core.ObjectReference", "po"),
        5: ("deprecatedTopology", "string", "mo"), 6: ("nodeName", "string", "po"), 7: ("zone", "string", "po"),
        8: ("hints", "discovery.EndpointHints", "po"),
    },
    "discovery.EndpointConditions": {
        1: ("ready", "bool", "po"), 2: ("serving", "bool", "po"), 3: ("terminating", "bool", "po"),
    },
    "discovery.EndpointHints": {1: ("forZones", "discovery.ForZone", "ro")},
    "discovery.EndpointPort": {
        1: ("name", "string", "po"), 2: ("protocol", "string", "po"), 3: ("port", "int32", "po"),
        4: ("appProtocol", "string", "po"),
    },
    "discovery.EndpointSlice": {
        1: ("metadata", "meta.ObjectMeta", "o"), 4: ("addressType", "string", ""),
        2: ("endpoints", "discovery.Endpoint", "r"), 3: ("ports", "discovery.EndpointPort", "r"),
    },
    "discovery.ForZone": {1: ("name", "string", "")},
    "events.Event": {
        1: ("metadata", "meta.ObjectMeta", ""), 2: ("eventTime", "MicroTime", ""),
        3: ("series", "events.EventSeries", "po"), 4: ("reportingController", "string", "o"),
        5: ("reportingInstance", "string", "o"), 6: ("action", "string", "o"), 7: ("reason", "string", "o"),
        8: ("regarding", "core.ObjectReference", "o"), 9: ("related", "core.ObjectReference", "po"),
        10: ("note", "string", "o"), 11: ("type", "string", "o"), 12: ("deprecatedSource", "core.EventSource", "o"),
        13: ("deprecatedFirstTimestamp", "Time", "o"), 14: ("deprecatedLastTimestamp", "Time", "o"),
        15: ("deprecatedCount", "int32", "o"),
    },
    "events.EventSeries": {1: ("count", "int32", ""), 2: ("lastObservedTime", "MicroTime", "")},
    "meta.Condition": {
        1: ("type", "string", ""), 2: ("status", "string", ""), 3: ("observedGeneration", "int64", "o"),
        4: ("lastTransitionTime", "Time", ""), 5: ("reason", "string", ""), 6: ("message", "string", ""),
    },
    "meta.DeleteOptions": {
        1: ("gracePeriodSeconds", "int64", "po"), 2: ("preconditions", "meta.Preconditions", "po"),
        3: ("orphanDependents", "bool", "po"), 4: ("propagationPolicy", "string", "po"),
        5: ("dryRun", "string", "ro"), 6: ("ignoreStoreReadErrorWithClusterBreakingPotential", "bool", "po"),
    },
    "meta.LabelSelector": {
        1: ("matchLabels", "string", "mo"), 2: ("matchExpressions", "meta.LabelSelectorRequirement", "ro"),
    },
    "meta.LabelSelectorRequirement": {
        1: ("key", "string", ""), 2: ("operator", "string", ""), 3: ("values", "string", "ro"),
    },
    "meta.ManagedFieldsEntry": {
        1: ("manager", "string", "o"), 2: ("operation", "string", "o"), 3: ("apiVersion", "string", "o"),
        4: ("time", "Time", "po"), 6: ("fieldsType", "string", "o"), 7: ("fieldsV1", "FieldsV1", "po"),
        8: ("subresource", "string", "o"),
    },
    "meta.ObjectMeta": {
        1: ("name", "string", "o"), 2: ("generateName", "string", "o"), 3: ("namespace", "string", "o"),
        4: ("selfLink", "string", "o"), 5: ("uid", "string", "o"), 6: ("resourceVersion", "string", "o"),
        7: ("generation", "int64", "o"), 8: ("creationTimestamp", "Time", "o"),
        9: ("deletionTimestamp", "Time", "po"), 10: ("deletionGracePeriodSeconds", "int64", "po"),
        11: ("labels", "string", "mo"), 12: ("annotations", "string", "mo"),
        13: ("ownerReferences", "meta.OwnerReference", "ro"), 14: ("finalizers", "string", "ro"),
        17: ("managedFields", "meta.ManagedFieldsEntry", "ro"),
    },
    "meta.OwnerReference": {
        5: ("apiVersion", "string", ""), 1: ("kind", "string", ""), 3: ("name", "string", ""),
        4: ("uid", "string", ""), 6: ("controller", "bool", "po"), 7: ("blockOwnerDeletion", "bool", "po"),
    },
    "meta.Preconditions": {1: ("uid", "string", "po"), 2: ("resourceVersion", "string", "po")},
    "networking.HTTPIngressPath": {
        1: ("path", "string", "o"), 3: ("pathType", "string", "p"), 2: ("backend", "networking.IngressBackend", ""),
    },
    "networking.HTTPIngressRuleValue": {1: ("paths", "networking.HTTPIngressPath", "r")},
    "networking.IPBlock": {1: ("cidr", "string", ""), 2: ("except", "string", "ro")},
    "networking.Ingress": {
        1: ("metadata", "meta.ObjectMeta", "o"), 2: ("spec", "networking.IngressSpec", "o"),
        3: ("status", "networking.IngressStatus", "o"),
    },
    "networking.IngressBackend": {
        4: ("service", "networking.IngressServiceBackend", "po"),
        3: ("resource", "core.TypedLocalObjectReference", "po"),
    },
    "networking.IngressClass": {
        1: ("metadata", "meta.ObjectMeta", "o"), 2: ("spec", "networking.IngressClassSpec", "o"),
    },
    "networking.IngressClassParametersReference": {
        1: ("apiGroup", "string", "po"), 2: ("kind", "string", ""), 3: ("name", "string", ""),
        4: ("scope", "string", "p"), 5: ("namespace", "string", "po"),
    },
    "networking.IngressClassSpec": {
        1: ("controller", "string", "o"), 2: ("parameters", "networking.IngressClassParametersReference", "po"),
    },
    "networking.IngressLoadBalancerIngress": {
        1: ("ip", "string", "o"), 2: ("hostname", "string", "o"), 4: ("ports", "networking.IngressPortStatus", "ro"),
    },
    "networking.IngressLoadBalancerStatus": {1: ("ingress", "networking.IngressLoadBalancerIngress", "ro")},
    "networking.IngressPortStatus": {
        1: ("port", "int32", ""), 2: ("protocol", "string", ""), 3: ("error", "string", "po"),
    },
    "networking.IngressRule": {1: ("host", "string", "o"), 2: ("", "networking.IngressRuleValue", "i")},
    "networking.IngressRuleValue": {1: ("http", "networking.HTTPIngressRuleValue", "po")},
    "networking.IngressServiceBackend": {1: ("name", "string", ""), 2: ("port", "networking.ServiceBackendPort", "o")},
    "networking.IngressSpec": {
        4: ("ingressClassName", "string", "po"), 1: ("defaultBackend", "networking.IngressBackend", "po"),
        2: ("tls", "networking.IngressTLS", "ro"), 3: ("rules", "networking.IngressRule", "ro"),
    },
    "networking.IngressStatus": {1: ("loadBalancer", "networking.IngressLoadBalancerStatus", "o")},
    "networking.IngressTLS": {1: ("hosts", "string", "ro"), 2: ("secretName", "string", "o")},
    "networking.NetworkPolicy": {
        1: ("metadata", "meta.ObjectMeta", "o"), 2: ("spec", "networking.NetworkPolicySpec", "o"),
    },
    "networking.NetworkPolicyEgressRule": {
        1: ("ports", "networking.NetworkPolicyPort", "ro"), 2: ("to", "networking.NetworkPolicyPeer", "ro"),
    },
    "networking.NetworkPolicyIngressRule": {
        1: ("ports", "networking.NetworkPolicyPort", "ro"), 2: ("from", "networking.NetworkPolicyPeer", "ro"),
    },
    "networking.NetworkPolicyPeer": {
        1: ("podSelector", "meta.LabelSelector", "po"), 2: ("namespaceSelector", "meta.LabelSelector", "po"),
        3: ("ipBlock", "networking.IPBlock", "po"),
    },
    "networking.NetworkPolicyPort": {
        1: ("protocol", "string", "po"), 2: ("port", "IntOrString", "po"), 3: ("endPort", "int32", "po"),
    },
    "networking.NetworkPolicySpec": {
        1: ("podSelector", "meta.LabelSelector", ""), 2: ("ingress", "networking.NetworkPolicyIngressRule", "ro"),
        3: ("egress", "networking.NetworkPolicyEgressRule", "ro"), 4: ("policyTypes", "string", "ro"),
    },
    "networking.ServiceBackendPort": {1: ("name", "string", "o"), 2: ("number", "int32", "o")},
    "policy.Eviction": {1: ("metadata", "meta.ObjectMeta", "o"), 2: ("deleteOptions", "meta.DeleteOptions", "po")},
    "rbac.AggregationRule": {1: ("clusterRoleSelectors", "meta.LabelSelector", "ro")},
    "rbac.ClusterRole": {
        1: ("metadata", "meta.ObjectMeta", "o"), 2: ("rules", "rbac.PolicyRule", "r"),
        3: ("aggregationRule", "rbac.AggregationRule", "po"),
    },
    "rbac.ClusterRoleBinding": {
        1: ("metadata", "meta.ObjectMeta", "o"), 2: ("subjects", "rbac.Subject", "ro"),
        3: ("roleRef", "rbac.RoleRef", ""),
    },
    "rbac.PolicyRule": {
        1: ("verbs", "string", "r"), 2: ("apiGroups", "string", "ro"), 3: ("resources", "string", "ro"),
        4: ("resourceNames", "string", "ro"), 5: ("nonResourceURLs", "string", "ro"),
    },
    "rbac.Role": {1: ("metadata", "meta.ObjectMeta", "o"), 2: ("rules", "rbac.PolicyRule", "r")},
    "rbac.RoleBinding": {
        1: ("metadata", "meta.ObjectMeta", "o"), 2: ("subjects", "rbac.Subject", "ro"),
        3: ("roleRef", "rbac.RoleRef", ""),
    },
    "rbac.RoleRef": {1: ("apiGroup", "string", ""), 2: ("kind", "string", ""), 3: ("name", "string", "")},
    "rbac.Subject": {
        1: ("kind", "string", ""), 2: ("apiGroup", "string", "o"), 3: ("name", "string", ""),
        4: ("namespace", "string", "o"),
    },
}
# fmt: on

package backup

import (
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/resources"
)

// Labels of the backup's Job and pod: managed-by puts the pod in the
// operator's cache, where its report is read; the name keeps it apart
// from the cluster's member pods.
func Labels(b *etcdv1alpha1.EtcdBackup) map[string]string {
	return map[string]string{
		resources.LabelName:      "etcd-backup",
		resources.LabelInstance:  b.Spec.ClusterName,
		resources.LabelManagedBy: resources.ManagedBy,
		LabelBackup:              b.Name,
	}
}

// LabelBackup names the EtcdBackup a Job or pod works for.
const LabelBackup = "etcd.etcd.io/backup"

const (
	agentContainer = "agent"
	backupMount    = "/backup"
	tlsMount       = "/etc/etcd/tls/client"
	s3CAMount      = "/etc/etcd/s3-ca"
)

// AgentContainer is the name of the Job's container, whose termination
// message is the report.
const AgentContainer = agentContainer

// SnapshotJob is the Job that streams b's snapshot from member of the
// cluster named by names, with the agent of image.
func SnapshotJob(b *etcdv1alpha1.EtcdBackup, names resources.Cluster, member, image string, now time.Time) *batchv1.Job {
	key := Key(b.Spec.Destination, b.Namespace, b.Spec.ClusterName, b.Name)
	args := []string{"backup", "--endpoint=" + names.AdvertisedClientURL(member), "--member=" + member, "--key=" + key}
	var mounts []corev1.VolumeMount
	var volumes []corev1.Volume
	if names.TLS() {
		args = append(args, "--cacert="+tlsMount+"/ca.crt", "--cert="+tlsMount+"/tls.crt", "--key-file="+tlsMount+"/tls.key")
		mounts = append(mounts, corev1.VolumeMount{Name: "client-tls", MountPath: tlsMount, ReadOnly: true})
		volumes = append(volumes, secretVolume("client-tls", names.ClientSecret(), false))
	}
	storeArgs, env, storeMounts, storeVolumes := storeAccess(b.Spec.Destination)
	args = append(args, storeArgs...)
	mounts, volumes = append(mounts, storeMounts...), append(volumes, storeVolumes...)
	remaining := max(int64(Deadline(b).Sub(now).Seconds()), 10)
	return job(b, b.Name, image, args, env, mounts, volumes, remaining)
}

// DeleteJobName is the Job that deletes b's object.
func DeleteJobName(b *etcdv1alpha1.EtcdBackup) string {
	n := b.Name
	if len(n) > 56 {
		n = n[:56]
	}
	return n + "-delete"
}

// DeleteJob removes b's object from its destination.
func DeleteJob(b *etcdv1alpha1.EtcdBackup, image string) *batchv1.Job {
	key := Key(b.Spec.Destination, b.Namespace, b.Spec.ClusterName, b.Name)
	storeArgs, env, mounts, volumes := storeAccess(b.Spec.Destination)
	args := append([]string{"delete-backup", "--key=" + key}, storeArgs...)
	return job(b, DeleteJobName(b), image, args, env, mounts, volumes, 300)
}

// storeAccess is how the agent reaches a destination: flags, the S3
// credentials (from the Secret, never through the operator), and the
// claim or CA volume.
func storeAccess(d etcdv1alpha1.BackupDestination) ([]string, []corev1.EnvVar, []corev1.VolumeMount, []corev1.Volume) {
	if c := d.PersistentVolumeClaim; c != nil {
		return []string{"--file-root=" + backupMount},
			nil,
			[]corev1.VolumeMount{{Name: "backup", MountPath: backupMount}},
			[]corev1.Volume{{Name: "backup", VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: c.ClaimName}}}}
	}
	s := d.S3
	args := []string{"--s3-endpoint=" + s.Endpoint, "--s3-bucket=" + s.Bucket, "--s3-region=" + s.Region,
		fmt.Sprintf("--s3-path-style=%t", s.PathStyleAddressing())}
	env := []corev1.EnvVar{secretEnv("AWS_ACCESS_KEY_ID", s.CredentialsSecret), secretEnv("AWS_SECRET_ACCESS_KEY", s.CredentialsSecret)}
	var mounts []corev1.VolumeMount
	var volumes []corev1.Volume
	if s.CASecret != "" {
		args = append(args, "--s3-ca-file="+s3CAMount+"/ca.crt")
		mounts = append(mounts, corev1.VolumeMount{Name: "s3-ca", MountPath: s3CAMount, ReadOnly: true})
		volumes = append(volumes, secretVolume("s3-ca", s.CASecret, false))
	}
	return args, env, mounts, volumes
}

func secretEnv(name, secret string) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: name}}}
}

func secretVolume(name, secret string, optional bool) corev1.Volume {
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
		SecretName: secret, DefaultMode: new(int32(0o440)), Optional: &optional}}}
}

func job(b *etcdv1alpha1.EtcdBackup, name, image string, args []string, env []corev1.EnvVar,
	mounts []corev1.VolumeMount, volumes []corev1.Volume, deadlineSeconds int64) *batchv1.Job {
	labels := Labels(b)
	user := int64(65532)
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: b.Namespace, Labels: labels},
		Spec: batchv1.JobSpec{
			// One attempt: a failure is reported with its reason, and a
			// schedule's next run is the retry.
			BackoffLimit:          new(int32(0)),
			ActiveDeadlineSeconds: &deadlineSeconds,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					RestartPolicy:                corev1.RestartPolicyNever,
					AutomountServiceAccountToken: new(false),
					EnableServiceLinks:           new(false),
					SecurityContext: &corev1.PodSecurityContext{
						RunAsNonRoot: new(true), RunAsUser: &user, RunAsGroup: &user, FSGroup: &user,
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					Containers: []corev1.Container{{
						Name:    agentContainer,
						Image:   image,
						Command: []string{"/manager"},
						Args:    args,
						Env:     env,
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m"), corev1.ResourceMemory: resource.MustParse("32Mi")},
							// Streaming holds one 16 MiB upload part, not the database.
							Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
						},
						TerminationMessagePolicy: corev1.TerminationMessageReadFile,
						SecurityContext: &corev1.SecurityContext{
							AllowPrivilegeEscalation: new(false),
							Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
							ReadOnlyRootFilesystem:   new(true),
						},
						VolumeMounts: mounts,
					}},
					Volumes: volumes,
				},
			},
		},
	}
}

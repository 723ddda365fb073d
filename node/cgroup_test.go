package node

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const (
	fixUID  = "0a6f1e3c-5b2d-4c8e-9f10-2b3c4d5e6f70"
	fixCID  = "3f9d2c1b8a7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c"
	fixSBID = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d"
)

func TestParseCgroupFixtures(t *testing.T) {
	tests := []struct {
		file string
		want CgroupInfo
	}{
		{"v2-systemd-containerd-burstable.txt", CgroupInfo{PodUID: fixUID, ContainerID: fixCID, Runtime: RuntimeContainerd, QoS: "burstable"}},
		{"v2-systemd-containerd-guaranteed.txt", CgroupInfo{PodUID: fixUID, ContainerID: fixCID, Runtime: RuntimeContainerd, QoS: "guaranteed"}},
		{"v2-systemd-crio-besteffort.txt", CgroupInfo{PodUID: fixUID, ContainerID: fixCID, Runtime: RuntimeCRIO, QoS: "besteffort"}},
		{"v2-systemd-crio-conmon.txt", CgroupInfo{PodUID: fixUID, ContainerID: fixCID, Runtime: RuntimeCRIO, QoS: "besteffort", Conmon: true}},
		{"v2-systemd-docker.txt", CgroupInfo{PodUID: fixUID, ContainerID: fixCID, Runtime: RuntimeDocker, QoS: "burstable"}},
		{"v2-cgroupfs-besteffort.txt", CgroupInfo{PodUID: fixUID, ContainerID: fixCID, QoS: "besteffort"}},
		{"v2-kind-nested.txt", CgroupInfo{PodUID: fixUID, ContainerID: fixCID, Runtime: RuntimeContainerd, QoS: "burstable"}},
		{"v2-kind-cgroupfs-nested.txt", CgroupInfo{PodUID: fixUID, ContainerID: fixCID, QoS: "burstable"}},
		{"v1-cgroupfs-burstable.txt", CgroupInfo{PodUID: fixUID, ContainerID: fixCID, QoS: "burstable"}},
		{"v1-cgroupfs-guaranteed.txt", CgroupInfo{PodUID: fixUID, ContainerID: fixCID, QoS: "guaranteed"}},
		{"v1-systemd-containerd.txt", CgroupInfo{PodUID: fixUID, ContainerID: fixCID, Runtime: RuntimeContainerd, QoS: "besteffort"}},
		{"v1-hybrid-lab.txt", CgroupInfo{PodUID: fixUID, ContainerID: fixSBID, QoS: "besteffort"}},
		{"static-pod.txt", CgroupInfo{PodUID: "6ec5f2cd46c3b0f8a54ab9f1c1f5e0a8", ContainerID: fixCID, Runtime: RuntimeContainerd, QoS: "burstable"}},
		{"pod-level.txt", CgroupInfo{PodUID: fixUID, QoS: "burstable"}},
		{"plain-docker.txt", CgroupInfo{ContainerID: fixCID, Runtime: RuntimeDocker}},
		{"host-process.txt", CgroupInfo{}},
		{"v1-host-process.txt", CgroupInfo{}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", "cgroup", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := ParseCgroup(f)
			if err != nil {
				t.Fatalf("ParseCgroup: %v", err)
			}
			if len(got.Paths) == 0 {
				t.Errorf("no paths")
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(CgroupInfo{}, "Paths")); diff != "" {
				t.Errorf("ParseCgroup (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseCgroupErrorsAndPaths(t *testing.T) {
	tests := []struct {
		in      string
		wantErr bool
		paths   []string
	}{
		{in: "", paths: nil},
		{in: "0::/\n", paths: []string{"/"}},
		{in: "2:cpu:/a\n1:name=systemd:/a\n0::/b\n", paths: []string{"/a", "/b"}},
		{in: "garbage\n", wantErr: true},
		{in: "x::/\n", wantErr: true},
		{in: "0:/\n", wantErr: true},
		// A path may contain colons.
		{in: "0::/a:b\n", paths: []string{"/a:b"}},
		// Look-alikes that are not pods.
		{in: "0::/kubepods/burstable/podnot-a-uid/abc\n", paths: []string{"/kubepods/burstable/podnot-a-uid/abc"}},
		{in: "0::/system.slice/foo-pod1234.slice\n", paths: []string{"/system.slice/foo-pod1234.slice"}},
	}
	for _, tt := range tests {
		got, err := ParseCgroup(strings.NewReader(tt.in))
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseCgroup(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if diff := cmp.Diff(tt.paths, got.Paths); diff != "" {
			t.Errorf("ParseCgroup(%q) paths (-want +got):\n%s", tt.in, diff)
		}
		if got.PodUID != "" || got.ContainerID != "" {
			t.Errorf("ParseCgroup(%q) = pod %q container %q, want neither", tt.in, got.PodUID, got.ContainerID)
		}
	}
}

func FuzzParseCgroup(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "cgroup", "*.txt"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("0::/kubepods.slice/kubepods-pod_.slice/x.scope"))
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := ParseCgroup(strings.NewReader(string(b)))
		if err != nil {
			if info.PodUID != "" || info.ContainerID != "" || info.Paths != nil {
				t.Fatalf("error %v with a result %+v", err, info)
			}
			return
		}
		if info.PodUID != "" && !isUID(info.PodUID) {
			t.Fatalf("pod UID %q is not a UID", info.PodUID)
		}
		if info.ContainerID != "" && !isContainerID(info.ContainerID) {
			t.Fatalf("container ID %q is not an ID", info.ContainerID)
		}
		if info.PodUID != "" && info.QoS == "" {
			t.Fatalf("pod without QoS: %+v", info)
		}
		for _, p := range info.Paths {
			if !strings.Contains(string(b), p) {
				t.Fatalf("path %q not in input", p)
			}
		}
	})
}

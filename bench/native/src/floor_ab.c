/*
 * floor_ab N REPS OLD.so NEW.so [OLD_ISA NEW_ISA]: two builds of libexmerge in one process, interleaved
 * call by call (exme old, exme new, task_arithmetic old, new, mk_bench_stream_n, memcpy), best of REPS
 * each, for BF16, F16 and F32 with base + two inputs. The ISA paths (MK_ISA_*: 1 AVX2, 2 AVX-512)
 * default to AVX2 for both; the floor runs NEW_ISA's. Two paths of one build: pass a copy of the
 * library as OLD (one file is loaded once). On a shared VM whose load swings the
 * rate of every call, only calls made seconds apart compare; JMH runs each benchmark for seconds
 * on its own. Prints GB/s (3 inputs read + 1 output written, memcpy: the same byte count) and each
 * op's share of the floor. Built next to libexmerge_bench (bench/target/native-build/floor_ab).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>
#include "exmerge.h"
#include <dlfcn.h>
typedef int32_t (*lin_t)(int32_t, const void *const *, const int32_t *, const float *, const void *, int32_t, void *, int32_t, int32_t, float, float, int64_t);
int32_t mk_bench_stream_n(const void *const *in, int32_t n_in, void *out, int64_t n, int32_t size, int32_t isa);
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(int argc,char**argv){
  if(argc<5){fprintf(stderr,"usage: floor_ab ELEMENTS REPS OLD.so NEW.so\n");return 2;}
  int isa[2]={argc>6?atoi(argv[5]):MK_ISA_AVX2, argc>6?atoi(argv[6]):MK_ISA_AVX2};
  lin_t L[2]; for(int k=0;k<2;k++){ void*h=dlopen(argv[3+k],RTLD_NOW|RTLD_LOCAL); if(!h){puts(dlerror());return 1;} L[k]=(lin_t)dlsym(h,"mk_linear");
    int32_t (*force)(int32_t)=(int32_t(*)(int32_t))dlsym(h,"mk_force_isa"); if(force(isa[k])!=MK_OK){fprintf(stderr,"%s cannot run ISA %d\n",argv[3+k],isa[k]);return 1;} }
  int64_t n = argc>1? atoll(argv[1]) : 16777213; int reps = argc>2? atoi(argv[2]):15;
  int types[3]={MK_DTYPE_BF16,MK_DTYPE_F16,MK_DTYPE_F32}; const char*names[3]={"BF16","F16","F32"};
  for(int ti=0;ti<3;ti++){
    int T=types[ti]; int sz = T==MK_DTYPE_F32?4:2;
    void *b=aligned_alloc(64,(n*sz+63)/64*64),*x1=aligned_alloc(64,(n*sz+63)/64*64),*x2=aligned_alloc(64,(n*sz+63)/64*64),*o=aligned_alloc(64,(n*sz+63)/64*64);
    void *cs=aligned_alloc(64,2*n*sz+64),*cd=aligned_alloc(64,2*n*sz+64);
    srand(1); unsigned char*p[3]={b,x1,x2};
    for(int k=0;k<3;k++) for(int64_t j=0;j<n;j++){ float v=((rand()%2001)-1000)*2e-5f; if(sz==4) ((float*)p[k])[j]=v; else { uint32_t u; memcpy(&u,&v,4); ((uint16_t*)p[k])[j]= T==MK_DTYPE_BF16? (uint16_t)(u>>16) : (uint16_t)(0x2000 + (rand()&0x1fff)); } }
    memset(o,0,n*sz); memset(cs,1,2*n*sz); memset(cd,2,2*n*sz);
    const void* ins[2]={x1,x2}; const void* all[3]={b,x1,x2}; int32_t it[2]={T,T};
    float we[2]={0.15f,0.99f}, wt[2]={0.5f,0.3f};
    double best[6]={1e9,1e9,1e9,1e9,1e9,1e9};
    for(int r=0;r<reps;r++){
      double t[7]; t[0]=now();
      L[0](2,ins,it,we,b,T,o,T,0,1.0f,1.0f,n); t[1]=now();
      L[1](2,ins,it,we,b,T,o,T,0,1.0f,1.0f,n); t[2]=now();
      L[0](2,ins,it,wt,b,T,o,T,MK_LINEAR_DIVIDE,0.8f,0.9f,n); t[3]=now();
      L[1](2,ins,it,wt,b,T,o,T,MK_LINEAR_DIVIDE,0.8f,0.9f,n); t[4]=now();
      mk_bench_stream_n(all,3,o,n,sz,isa[1]); t[5]=now();
      memcpy(cd,cs,2*n*sz); t[6]=now();
      for(int k=0;k<6;k++) if(t[k+1]-t[k]<best[k]) best[k]=t[k+1]-t[k];
    }
    double bytes=4.0*n*sz; double g[6]; for(int k=0;k<6;k++) g[k]=bytes/best[k]/1e9;
    printf("%-4s n=%lld GB/s: exme old %.1f new %.1f | ta old %.1f new %.1f | streamN %.1f | memcpy %.1f || %% of streamN: exme %.0f -> %.0f, ta %.0f -> %.0f\n",names[ti],(long long)n,
      g[0],g[1],g[2],g[3],g[4],g[5],100*g[0]/g[4],100*g[1]/g[4],100*g[2]/g[4],100*g[3]/g[4]);
    free(b);free(x1);free(x2);free(o);free(cs);free(cd);
  }
}
